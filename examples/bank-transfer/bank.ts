import { randomUUID } from "crypto"

/**
 * A stand-in for a bank's "pay by transfer" API, in memory. The customer is
 * given transfer instructions; the money arrives days later, and the bank
 * then notifies the shop. What matters is the contract most such services
 * (bank transfers, SEPA debits, cash vouchers) share:
 *   - amounts are integers in minor units;
 *   - every mutating call takes an idempotency key, replayed on reuse;
 *   - the money arriving is an event of the service, not a call of the shop.
 */
export type Transfer = {
  id: string
  /** open: instructions not yet shown · awaiting_funds: the customer is done · paid: the money is in */
  status: "open" | "awaiting_funds" | "paid" | "canceled"
  currency: string
  /** what the customer is asked to transfer */
  amount: number
  received: number
  refunded: number
  /** the shop's reference printed on the transfer (the Medusa session id) */
  reference: string
}

export class BankClient {
  private readonly transfers = new Map<string, Transfer>()
  private readonly replies = new Map<string, unknown>()

  create(input: { amount: number; currency: string; reference: string }, idempotencyKey: string): Transfer {
    return this.once(idempotencyKey, () => {
      const transfer: Transfer = { id: `tr_${randomUUID()}`, status: "open", received: 0, refunded: 0, ...input }
      this.transfers.set(transfer.id, transfer)
      return transfer
    })
  }

  update(id: string, amount: number, idempotencyKey: string): Transfer {
    return this.once(idempotencyKey, () => {
      const transfer = this.get(id)
      if (transfer.status !== "open" && transfer.status !== "awaiting_funds") {
        throw new Error(`Bank: transfer ${id} is ${transfer.status}, its amount is fixed.`)
      }
      transfer.amount = amount
      return transfer
    })
  }

  /** The customer was shown the instructions and confirmed. */
  confirm(id: string, idempotencyKey: string): Transfer {
    return this.once(idempotencyKey, () => {
      const transfer = this.get(id)
      if (transfer.status === "open") transfer.status = "awaiting_funds"
      return transfer
    })
  }

  refund(id: string, amount: number, idempotencyKey: string): Transfer {
    return this.once(idempotencyKey, () => {
      const transfer = this.get(id)
      if (transfer.refunded + amount > transfer.received) throw new Error("Bank: refund exceeds what was received.")
      transfer.refunded += amount
      return transfer
    })
  }

  cancel(id: string, idempotencyKey: string): Transfer {
    return this.once(idempotencyKey, () => {
      const transfer = this.get(id)
      if (transfer.status === "paid") throw new Error(`Bank: transfer ${id} is paid; refund it instead.`)
      transfer.status = "canceled"
      return transfer
    })
  }

  get(id: string): Transfer {
    const transfer = this.transfers.get(id)
    if (!transfer) throw new Error(`Bank: no transfer ${id}.`)
    return transfer
  }

  /** The bank's side (tests and demos): the customer's money lands. */
  moneyArrives(id: string): Transfer {
    const transfer = this.get(id)
    if (transfer.status !== "awaiting_funds") throw new Error(`Bank: transfer ${id} is ${transfer.status}, not awaiting funds.`)
    transfer.received = transfer.amount
    transfer.status = "paid"
    return structuredClone(transfer)
  }

  private once<T>(idempotencyKey: string, run: () => T): T {
    if (this.replies.has(idempotencyKey)) {
      return structuredClone(this.replies.get(idempotencyKey)) as T
    }
    const reply = structuredClone(run())
    this.replies.set(idempotencyKey, reply)
    return structuredClone(reply)
  }
}
