import { randomUUID } from "crypto"

/**
 * A stand-in for a payment service provider's API ("Acme Pay"), kept in
 * memory so the example runs anywhere. A real provider would call its
 * PSP's HTTP API here. What matters for the example is the contract it
 * offers, which most PSPs share:
 *   - amounts are integers in minor units;
 *   - every mutating call takes an idempotency key, and a repeated key
 *     returns the first result instead of acting twice.
 */
export type AcmePayment = {
  id: string
  status: "created" | "authorized" | "captured" | "canceled"
  currency: string
  amount: number
  captured: number
  refunded: number
  reference: string
}

export class AcmePayClient {
  private readonly payments = new Map<string, AcmePayment>()
  private readonly replies = new Map<string, unknown>()

  create(input: { amount: number; currency: string; reference: string }, idempotencyKey: string): AcmePayment {
    return this.once(idempotencyKey, () => {
      const payment: AcmePayment = {
        id: `acme_${randomUUID()}`,
        status: "created",
        captured: 0,
        refunded: 0,
        ...input,
      }
      this.payments.set(payment.id, payment)
      return payment
    })
  }

  update(id: string, amount: number, idempotencyKey: string): AcmePayment {
    return this.once(idempotencyKey, () => {
      const payment = this.get(id)
      if (payment.status !== "created") throw new Error(`Acme: payment ${id} is ${payment.status}, its amount is fixed.`)
      payment.amount = amount
      return payment
    })
  }

  authorize(id: string, idempotencyKey: string): AcmePayment {
    return this.once(idempotencyKey, () => this.move(id, ["created"], "authorized"))
  }

  capture(id: string, amount: number, idempotencyKey: string): AcmePayment {
    return this.once(idempotencyKey, () => {
      const payment = this.get(id)
      if (payment.status !== "authorized") throw new Error(`Acme: cannot capture a ${payment.status} payment.`)
      if (payment.captured + amount > payment.amount) throw new Error("Acme: capture exceeds the authorized amount.")
      payment.captured += amount
      if (payment.captured === payment.amount) payment.status = "captured"
      return payment
    })
  }

  refund(id: string, amount: number, idempotencyKey: string): AcmePayment {
    return this.once(idempotencyKey, () => {
      const payment = this.get(id)
      if (payment.refunded + amount > payment.captured) throw new Error("Acme: refund exceeds the captured amount.")
      payment.refunded += amount
      return payment
    })
  }

  cancel(id: string, idempotencyKey: string): AcmePayment {
    return this.once(idempotencyKey, () => this.move(id, ["created", "authorized", "canceled"], "canceled"))
  }

  get(id: string): AcmePayment {
    const payment = this.payments.get(id)
    if (!payment) throw new Error(`Acme: no payment ${id}.`)
    return payment
  }

  private move(id: string, from: AcmePayment["status"][], to: AcmePayment["status"]): AcmePayment {
    const payment = this.get(id)
    if (!from.includes(payment.status)) throw new Error(`Acme: cannot go from ${payment.status} to ${to}.`)
    payment.status = to
    return payment
  }

  /** The first reply under a key is kept and replayed, like a real PSP. */
  private once<T>(idempotencyKey: string, run: () => T): T {
    if (this.replies.has(idempotencyKey)) {
      return structuredClone(this.replies.get(idempotencyKey)) as T
    }
    const reply = structuredClone(run())
    this.replies.set(idempotencyKey, reply)
    return structuredClone(reply)
  }
}
