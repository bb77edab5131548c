import { Context, DAL, ModulesSdkTypes } from "@medusajs/framework/types"
import { InjectTransactionManager, MedusaContext } from "@medusajs/framework/utils"
import type { ProviderGateway } from "../providers/gateway"
import { settleOpenMovement } from "../sql/money"

/** A row an event is about: its data is `{ id }`, as Medusa's, unless the event defines more (`event_data`). */
export type EventRow = { id?: unknown; event_data?: Record<string, unknown> }

/** Records `payment.<object>.<action>` events in the calling service's message aggregator. */
export type RecordEvents = (action: string, object: string, rows: EventRow[], sharedContext: Context) => void

/** What the module service lends its use cases: its repository (for transactions), internal services, gateway and events. */
export type ModuleParts = {
  baseRepository: DAL.RepositoryService
  paymentService: ModulesSdkTypes.IMedusaInternalService<any>
  paymentSessionService: ModulesSdkTypes.IMedusaInternalService<any>
  accountHolderService: ModulesSdkTypes.IMedusaInternalService<any>
  providerGateway: ProviderGateway
  recordEvents: RecordEvents
}

/**
 * The base of each money use case (src/money/*): the module's parts under
 * the names Medusa's decorators look for (`@InjectTransactionManager` opens
 * its transaction on `baseRepository_`), so a use case's `_` methods run in
 * their own transaction exactly as a module service's do.
 */
export abstract class UseCase {
  protected readonly baseRepository_: DAL.RepositoryService
  protected readonly paymentService_: ModulesSdkTypes.IMedusaInternalService<any>
  protected readonly paymentSessionService_: ModulesSdkTypes.IMedusaInternalService<any>
  protected readonly accountHolderService_: ModulesSdkTypes.IMedusaInternalService<any>
  protected readonly providerGateway_: ProviderGateway
  protected readonly recordEvents: RecordEvents

  constructor(parts: ModuleParts) {
    this.baseRepository_ = parts.baseRepository
    this.paymentService_ = parts.paymentService
    this.paymentSessionService_ = parts.paymentSessionService
    this.accountHolderService_ = parts.accountHolderService
    this.providerGateway_ = parts.providerGateway
    this.recordEvents = parts.recordEvents
  }

  /** A movement's outcome cannot be told (`reason`): it stays counted, for reconciliation to settle. */
  @InjectTransactionManager()
  async markMovementUnknown_(movementId: string, reason: string, @MedusaContext() sharedContext: Context = {}) {
    await settleOpenMovement(movementId, "unknown", sharedContext, reason)
  }
}
