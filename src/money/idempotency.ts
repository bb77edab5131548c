import { Context } from "@medusajs/framework/types"
import { bindIdempotencyRecord, claimIdempotencyRecord, movementStatus } from "../sql/money"
import { MoneyMovementStatus } from "../types/money-movement-status"
import { conflict, requireString } from "../utils/errors"

/**
 * Callers' idempotency keys (authorize, capture, refund, cancel): the record
 * of what a key asked for and produced, kept in the caller's transaction so
 * that the record and the effect it names commit together or not at all.
 */

/**
 * A caller's idempotency key: the first call with it records what it asked
 * for; a retry asking the same gets `replayed`, and the same key with other
 * parameters is a CONFLICT. Runs in the caller's transaction, so the record
 * and the effect it names commit together or not at all.
 */
export async function claimIdempotencyKey(
  operation: string,
  key: unknown,
  fingerprint: string,
  sharedContext: Context
): Promise<{ replayed: boolean; resultId?: string; bind: (resultId: string) => Promise<void> }> {
  if (key === undefined || key === null) {
    return { replayed: false, bind: async () => {} }
  }
  requireString(key, "idempotency_key")
  const claimed = await claimIdempotencyRecord(operation, key as string, fingerprint, sharedContext)
  if (claimed.fingerprint !== fingerprint) {
    throw conflict(
      `The idempotency key ${key} was already used for another ${operation} (${claimed.fingerprint}); it cannot be reused for ${fingerprint}.`
    )
  }
  return {
    replayed: !claimed.created,
    resultId: claimed.result_id ?? undefined,
    bind: (resultId: string) => bindIdempotencyRecord(claimed.id, resultId, sharedContext),
  }
}

/**
 * A retry with a caller's key whose movement the provider has not
 * confirmed — still in flight elsewhere, or its answer lost — cannot say
 * it succeeded: CONFLICT, as a provider answers a key still in use.
 */
export async function refuseUnsettledReplay(
  kind: "capture" | "refund",
  movementId: string | undefined,
  key: string,
  sharedContext: Context
): Promise<void> {
  const status = movementId ? await movementStatus(movementId, sharedContext) : undefined
  if (status === MoneyMovementStatus.PENDING || status === MoneyMovementStatus.UNKNOWN) {
    throw conflict(
      `The ${kind} requested with idempotency key ${key} (${movementId}) is ${status === MoneyMovementStatus.PENDING ? "still in progress" : "waiting for the provider to confirm its outcome"}; retry later.`
    )
  }
}
