import { Context } from "@medusajs/framework/types"
import { InjectTransactionManager, MedusaContext } from "@medusajs/framework/utils"
import { execute } from "../sql/runner"
import type { AuthorizationExpiry } from "../types"
import type { Cancellation } from "./cancel"
import { ModuleParts, UseCase } from "./use-case"

export type AuthorizationCheck = {
  /** authorizations that stop being capturable within the warning window: capture or cancel them */
  expiring: { payment_id: string; provider_id: string; expires_at: string }[]
  /** authorizations past their expiry that the provider confirmed gone: now canceled here too */
  expired: string[]
}

type AuthorizedPayment = { id: string; provider_id: string; data: Record<string, unknown> | null; created_at: Date }

/** How far ahead an expiry is reported, unless the caller says otherwise. */
export const DEFAULT_EXPIRY_WARNING_MS = 24 * 60 * 60 * 1000

/**
 * Authorizations that expire at their provider (Stripe: 7 days for cards)
 * while nobody captures them. Each authorized, uncaptured payment whose
 * provider knows when it expires (`authorizationExpiresAt`) is reported
 * when that is near; once it has passed, the provider is asked for the
 * payment's status and, if the authorization is gone, the payment is
 * canceled as Medusa cancels one (payment and session `canceled`). The
 * webhook of the expiry (`payment_intent.canceled`) does the same when it
 * arrives; this catches the ones whose webhook never did.
 */
export class AuthorizationExpiryCheck extends UseCase {
  constructor(
    parts: ModuleParts,
    private readonly cancellation: Cancellation,
    private readonly providerOf: (providerId: string) => AuthorizationExpiry | undefined
  ) {
    super(parts)
  }

  /** `providerIds`: the registered providers; only those whose authorizations expire are looked at. */
  async run(providerIds: string[], warnWithinMs: number, sharedContext: Context): Promise<AuthorizationCheck> {
    const now = Date.now()
    const report: AuthorizationCheck = { expiring: [], expired: [] }
    const expiring = providerIds.filter((id) => typeof this.providerOf(id)?.authorizationExpiresAt === "function")
    if (!expiring.length) return report
    for (const payment of await this.authorizedPayments_(expiring, sharedContext)) {
      const expiresAt = this.providerOf(payment.provider_id)!.authorizationExpiresAt!(payment.data ?? {}, new Date(payment.created_at))
      if (!expiresAt || expiresAt.getTime() - now > warnWithinMs) continue
      if (expiresAt.getTime() <= now && (await this.goneAtProvider(payment))) {
        // One payment that cannot be canceled here is reported again next time; the others go on.
        const canceled = await this.cancellation.recordCanceledAtProvider(payment.id, "expired", sharedContext).catch(() => false)
        if (canceled) report.expired.push(payment.id)
        continue
      }
      report.expiring.push({ payment_id: payment.id, provider_id: payment.provider_id, expires_at: expiresAt.toISOString() })
    }
    return report
  }

  /** A status the provider cannot give is not a cancel: the payment stays reported, not canceled. */
  private async goneAtProvider(payment: AuthorizedPayment): Promise<boolean> {
    try {
      const { status } = await this.providerGateway_.getPaymentStatus(payment.provider_id, { data: payment.data ?? {} })
      return status === "canceled"
    } catch {
      return false
    }
  }

  @InjectTransactionManager()
  protected async authorizedPayments_(
    providerIds: string[],
    @MedusaContext() sharedContext: Context = {}
  ): Promise<AuthorizedPayment[]> {
    // Oldest first: they expire first. Payments with money captured hold no whole
    // authorization to lose (a multicapture remainder is the provider's to report).
    return await execute<AuthorizedPayment>(
      sharedContext,
      `SELECT p.id, p.provider_id, p.data, p.created_at FROM payment p
        WHERE p.deleted_at IS NULL AND p.captured_at IS NULL AND p.canceled_at IS NULL
          AND p.provider_id IN (SELECT jsonb_array_elements_text(?::jsonb))
          AND NOT EXISTS (SELECT 1 FROM payment_movement m WHERE m.payment_id = p.id AND m.deleted_at IS NULL
                            AND m.kind = 'capture' AND m.status <> 'refused')
        ORDER BY p.created_at LIMIT 1000`,
      [JSON.stringify(providerIds)]
    )
  }
}
