import { PaymentDTO } from "@medusajs/framework/types"
import { Capture, Payment, PaymentCollection, PaymentSession, Refund } from "../models"
import type { MovementContext } from "../sql/hot-path"
import { rowToDto } from "../sql/rows"

/**
 * The shapes of Medusa's answers to authorize, capture and refund, built
 * from rows. `@medusajs/payment` answers with whatever its ORM had loaded
 * while doing the work (the session, the collection and its sessions); code
 * written against it may read those, so this module answers with the same
 * relations, field for field (the contract test compares them). One
 * deliberate difference: a capture or refund answer lists only the capture
 * or refund the call made (see the README's table).
 */

type Row = Record<string, any>
type Dto = Record<string, unknown>

const pick = (dto: Dto, keys: string[]) => Object.fromEntries(keys.map((key) => [key, dto[key]]))
const omit = (dto: Dto, keys: string[]) => Object.fromEntries(Object.entries(dto).filter(([key]) => !keys.includes(key)))

const sessionDto = (row: Row) => rowToDto<Dto>(PaymentSession, row)
const collectionDto = (row: Row) => rowToDto<Dto>(PaymentCollection, row)
/** A capture or refund as Medusa lists it under its payment: without the payment itself. */
const movementDto = (kind: "capture" | "refund", row: Row) => omit(rowToDto<Dto>(kind === "capture" ? Capture : Refund, row), ["payment"])
/** The payment's own fields and foreign keys, without its relations. */
const paymentFields = (row: Row) => omit(rowToDto<Dto>(Payment, row), ["payment_collection", "payment_session"])

/** The collection as Medusa's status recomputation loads it. */
const COLLECTION_AS_RECOMPUTED = ["amount", "currency_code", "id", "raw_amount", "status"]
/** The session fields Medusa reads when it finds the session already authorized. */
const SESSION_AS_REREAD = ["amount", "authorized_at", "currency_code", "data", "id", "payment_collection_id", "provider_id", "raw_amount"]

/** A session's first authorization: the new payment with its session, and no captures or refunds yet. */
export function authorizedAnswer(payment: Row, session: Row): PaymentDTO {
  return { ...paymentFields(payment), payment_session: sessionDto(session), captures: [], refunds: [] } as unknown as PaymentDTO
}

/** Authorizing a session that already has its payment: the payment, its collection, and the session as re-read. */
export function existingAuthorizationAnswer(payment: Row, session: Row, collection: Row | null): PaymentDTO {
  const collectionAnswer = collection ? collectionDto(collection) : null
  return {
    ...paymentFields(payment),
    payment_collection: collectionAnswer,
    payment_session: { ...pick(sessionDto(session), SESSION_AS_REREAD), payment_collection: collectionAnswer },
  } as unknown as PaymentDTO
}

/**
 * A capture's or refund's answer: the payment with the movement this call
 * made (none for a no-op), the payment's settled movements of the other
 * kind, its session, and its collection with the collection's sessions.
 */
export function movementAnswer(kind: "capture" | "refund", context: MovementContext): PaymentDTO {
  const other = kind === "capture" ? "refund" : "capture"
  const collection = context.payment_collection ? pick(collectionDto(context.payment_collection), COLLECTION_AS_RECOMPUTED) : null
  const session = context.payment_session ? sessionDto(context.payment_session) : null
  return {
    ...paymentFields(context.payment),
    [`${kind}s`]: context.movement ? [movementDto(kind, context.movement)] : [],
    [`${other}s`]: (context.others ?? []).map((row) => movementDto(other, row)),
    payment_collection: collection && {
      ...collection,
      payment_sessions: (context.collection_sessions ?? []).map((row) => omit(sessionDto(row), ["payment_collection"])),
    },
    payment_session: session && { ...session, payment_collection: collection },
  } as unknown as PaymentDTO
}
