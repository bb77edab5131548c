import {
  Context,
  CreatePaymentCollectionDTO,
  FilterablePaymentCollectionProps,
  ModulesSdkTypes,
  PaymentCollectionDTO,
  PaymentCollectionUpdatableFields,
  UpsertPaymentCollectionDTO,
} from "@medusajs/framework/types"
import { CommonEvents, InjectTransactionManager, isString, MedusaContext } from "@medusajs/framework/utils"
import { ModuleParts, UseCase } from "../money/use-case"
import { PaymentCollection } from "../models"
import { insertCollections } from "../sql/hot-path"
import { recomputeCollection } from "../sql/money"
import { newId, rowToDto } from "../sql/rows"
import { parseNonNegativeAmount, roundToCurrency, storedAmount } from "../utils/amount"
import { currencyExponent, normalizeCurrencyCode } from "../utils/currency"
import { invalidData, notAllowed, notFound, requireString } from "../utils/errors"

const COLLECTION_FIELDS = ["currency_code", "amount", "status", "metadata"] as const

/**
 * Payment collections: created in one statement (the checkout path),
 * updated and upserted through the ORM as Medusa does, and completed only
 * once what they ask for is captured.
 */
export class PaymentCollections extends UseCase {
  constructor(
    parts: ModuleParts,
    protected readonly paymentCollectionService_: ModulesSdkTypes.IMedusaInternalService<any>
  ) {
    super(parts)
  }

  /** One INSERT for any number of collections; their DTOs come from the rows it returns. */
  async create(
    data: CreatePaymentCollectionDTO | CreatePaymentCollectionDTO[],
    sharedContext: Context
  ): Promise<PaymentCollectionDTO | PaymentCollectionDTO[]> {
    const input = (Array.isArray(data) ? data : [data]).map((item) => {
      const valid = this.validCollectionInput(item, true)
      return {
        id: newId(PaymentCollection),
        currency_code: valid.currency_code,
        amount: parseNonNegativeAmount(valid.amount, "payment collection amount").toFixed(),
        metadata: valid.metadata ?? null,
      }
    })
    const rows = new Map((await insertCollections(input, sharedContext)).map((row) => [row.id, row]))
    const collections = input.map((item) =>
      rowToDto<PaymentCollectionDTO>(PaymentCollection, rows.get(item.id)!, { fresh: true })
    )
    this.recordEvents(CommonEvents.CREATED, "payment_collection", collections, sharedContext)
    return Array.isArray(data) ? collections : collections[0]
  }

  async update(
    idOrSelector: string | FilterablePaymentCollectionProps,
    data: PaymentCollectionUpdatableFields,
    sharedContext: Context
  ): Promise<PaymentCollectionDTO | PaymentCollectionDTO[]> {
    const update = this.validCollectionInput(data, false)
    let ids: string[]
    if (isString(idOrSelector)) {
      ids = [idOrSelector]
    } else {
      const matches = await this.paymentCollectionService_.list(
        idOrSelector,
        { select: ["id"] },
        sharedContext
      )
      ids = matches.map((c) => c.id)
    }
    const updated = await this.updatePaymentCollections_(
      ids.map((id) => ({ id, ...update })),
      sharedContext
    )
    const serialized = await this.baseRepository_.serialize<PaymentCollectionDTO[]>(updated)
    // As Medusa's module: one collection (the first) whatever the selector matched.
    return serialized[0]
  }

  async upsert(
    data: UpsertPaymentCollectionDTO | UpsertPaymentCollectionDTO[],
    sharedContext: Context
  ): Promise<PaymentCollectionDTO | PaymentCollectionDTO[]> {
    const input = Array.isArray(data) ? data : [data]
    const toUpdate = input
      .filter((item) => item.id)
      .map((item) => ({ ...this.validCollectionInput(item, false), id: item.id! }))
    const toCreate = input
      .filter((item) => !item.id)
      .map((item) => this.validCollectionInput(item as CreatePaymentCollectionDTO, true))
    const result = await this.upsertPaymentCollections_(toCreate, toUpdate, sharedContext)
    const serialized = await this.baseRepository_.serialize<PaymentCollectionDTO[]>(result)
    return Array.isArray(data) ? serialized : serialized[0]
  }

  /**
   * A collection can only be completed once what it asks for is captured;
   * Medusa 2.21 completes anything, which lets an unpaid order look paid.
   */
  async complete(paymentCollectionId: string | string[], sharedContext: Context): Promise<PaymentCollectionDTO | PaymentCollectionDTO[]> {
    const ids = Array.isArray(paymentCollectionId) ? paymentCollectionId : [paymentCollectionId]
    const collections = await this.completePaymentCollections_(ids, sharedContext)
    const serialized = await this.baseRepository_.serialize<PaymentCollectionDTO[]>(collections)
    this.recordEvents(CommonEvents.UPDATED, "payment_collection", serialized, sharedContext)
    return Array.isArray(paymentCollectionId) ? serialized : serialized[0]
  }

  @InjectTransactionManager()
  protected async updatePaymentCollections_(
    data: (PaymentCollectionUpdatableFields & { id: string })[],
    @MedusaContext() sharedContext: Context = {}
  ) {
    if (!data.length) return []
    return await this.paymentCollectionService_.update(data, sharedContext)
  }

  @InjectTransactionManager()
  protected async upsertPaymentCollections_(
    toCreate: CreatePaymentCollectionDTO[],
    toUpdate: (PaymentCollectionUpdatableFields & { id: string })[],
    @MedusaContext() sharedContext: Context = {}
  ) {
    const created = toCreate.length
      ? await this.paymentCollectionService_.create(toCreate, sharedContext)
      : []
    const updated = toUpdate.length
      ? await this.paymentCollectionService_.update(toUpdate, sharedContext)
      : []
    return [...created, ...updated]
  }

  @InjectTransactionManager()
  protected async completePaymentCollections_(
    ids: string[],
    @MedusaContext() sharedContext: Context = {}
  ) {
    for (const id of ids) {
      await recomputeCollection(id, sharedContext)
    }
    const collections = await this.paymentCollectionService_.list(
      { id: ids },
      {},
      sharedContext
    )
    const missing = ids.filter((id) => !collections.some((c) => c.id === id))
    if (missing.length) {
      // Medusa's words: its internal service's update names the first id it misses.
      throw notFound(`PaymentCollection with id "${missing[0]}" not found`)
    }
    for (const collection of collections) {
      const amount = roundToCurrency(storedAmount(collection.raw_amount, collection.amount), collection.currency_code)
      const captured = roundToCurrency(
        storedAmount(collection.raw_captured_amount, collection.captured_amount),
        collection.currency_code
      )
      if (captured.lt(amount)) {
        throw notAllowed(
          `Payment collection ${collection.id} cannot be completed: ${captured.toFixed()} of ${amount.toFixed()} ${collection.currency_code} is captured.`
        )
      }
    }
    return await this.paymentCollectionService_.update(
      collections.map((c) => ({ id: c.id, completed_at: c.completed_at ?? new Date() })),
      sharedContext
    )
  }

  private validCollectionInput<T extends Partial<CreatePaymentCollectionDTO>>(
    input: T,
    creating: boolean
  ): T {
    if (!input || typeof input !== "object") {
      throw invalidData(`A payment collection must be an object, got ${JSON.stringify(input)}.`)
    }
    const result: Record<string, unknown> = { ...input }
    if (creating) {
      // Medusa's words for a missing field (the ORM's check), as an INVALID_DATA.
      for (const field of ["currency_code", "amount"] as const) {
        if (input[field] === undefined || input[field] === null) {
          throw invalidData(`Value for PaymentCollection.${field} is required, '${input[field]}' found`)
        }
      }
    }
    if (creating || input.currency_code !== undefined) {
      requireString(input.currency_code, "currency_code")
      currencyExponent(input.currency_code!)
      result.currency_code = normalizeCurrencyCode(input.currency_code!)
    }
    if (creating || input.amount !== undefined) {
      parseNonNegativeAmount(input.amount, "payment collection amount")
    }
    for (const key of Object.keys(result)) {
      if (!creating && key !== "id" && !(COLLECTION_FIELDS as readonly string[]).includes(key)) {
        throw invalidData(`The field ${key} of a payment collection cannot be updated.`)
      }
    }
    return result as T
  }
}
