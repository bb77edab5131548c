import {
  AccountHolderDTO,
  Context,
  CreateAccountHolderDTO,
  CreatePaymentMethodDTO,
  DeletePaymentMethodDTO,
  FilterablePaymentMethodProps,
  PaymentMethodDTO,
  UpdateAccountHolderDTO,
} from "@medusajs/framework/types"
import { InjectTransactionManager, MedusaContext } from "@medusajs/framework/utils"
import { UseCase } from "../money/use-case"
import { invalidData, isUniqueViolation, requireString } from "../utils/errors"

/**
 * Account holders (a customer at a provider) and saved payment methods: the
 * provider's answer, kept in `account_holder`, as Medusa's module does —
 * except that a second holder for the same customer returns the first
 * (Medusa issue #15593), also under concurrency.
 */
export class AccountHolders extends UseCase {
  async create(input: CreateAccountHolderDTO, sharedContext: Context): Promise<AccountHolderDTO> {
    requireString(input?.provider_id, "provider_id")
    if (input.context?.account_holder) {
      return input.context.account_holder as AccountHolderDTO
    }
    const customer = input.context?.customer
    requireString(customer?.id, "context.customer.id")
    const providerHolder = await this.providerGateway_.createAccountHolder(input.provider_id, {
      context: { idempotency_key: customer.id, ...input.context },
    })
    if (!providerHolder?.id) {
      return undefined as unknown as AccountHolderDTO
    }
    const existing = await this.findAccountHolder(input.provider_id, providerHolder.id, sharedContext)
    if (existing) return existing
    try {
      const created = await this.createAccountHolder_(
        {
          provider_id: input.provider_id,
          external_id: providerHolder.id,
          email: customer.email ?? null,
          data: providerHolder.data ?? {},
        },
        sharedContext
      )
      return await this.baseRepository_.serialize<AccountHolderDTO>(created)
    } catch (error) {
      const raced = isUniqueViolation(error)
        ? await this.findAccountHolder(input.provider_id, providerHolder.id, sharedContext)
        : undefined
      if (raced) return raced
      throw error
    }
  }

  async update(input: UpdateAccountHolderDTO, sharedContext: Context): Promise<AccountHolderDTO> {
    if (!input?.context?.account_holder) {
      throw invalidData("Missing account holder data while updating account holder.")
    }
    requireString(input.id, "account holder id")
    const result = await this.providerGateway_.updateAccountHolder(input.provider_id, { context: input.context })
    const updated = await this.updateAccountHolder_(
      {
        id: input.id,
        ...(result?.data ? { data: result.data } : {}),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      },
      sharedContext
    )
    return await this.baseRepository_.serialize<AccountHolderDTO>(updated)
  }

  async delete(id: string, sharedContext: Context): Promise<void> {
    requireString(id, "account holder id")
    const holder = await this.accountHolderService_.retrieve(id, {}, sharedContext)
    await this.providerGateway_.deleteAccountHolder(holder.provider_id, { context: { account_holder: holder } })
    await this.deleteAccountHolder_(id, sharedContext)
  }

  async listPaymentMethods(filters: FilterablePaymentMethodProps, sharedContext: Context): Promise<PaymentMethodDTO[]> {
    const methods = await this.providerGateway_.listPaymentMethods(filters?.provider_id, { context: filters?.context })
    return methods.map((method) => ({ id: method.id, data: method.data!, provider_id: filters.provider_id }))
  }

  async createPaymentMethods(
    data: CreatePaymentMethodDTO | CreatePaymentMethodDTO[],
    sharedContext: Context
  ): Promise<PaymentMethodDTO | PaymentMethodDTO[]> {
    const input = Array.isArray(data) ? data : [data]
    const saved = await Promise.all(
      input.map(async (item) => {
        // A provider that cannot save methods answers nothing, and so does this call (as in Medusa).
        const result = await this.providerGateway_.savePaymentMethod(item?.provider_id, item)
        return { id: result.id, data: result.data!, provider_id: item.provider_id }
      })
    )
    return Array.isArray(data) ? saved : saved[0]
  }

  async deletePaymentMethods(data: DeletePaymentMethodDTO | DeletePaymentMethodDTO[], sharedContext: Context): Promise<void> {
    const input = Array.isArray(data) ? data : [data]
    await Promise.all(
      input.map((item) => {
        requireString(item?.id, "payment method id")
        return this.providerGateway_.deletePaymentMethod(item?.provider_id, {
          context: item.context,
          data: { ...(item.data ?? {}), id: item.id },
        })
      })
    )
  }

  private async findAccountHolder(
    providerId: string,
    externalId: string,
    sharedContext: Context
  ): Promise<AccountHolderDTO | undefined> {
    const [holder] = await this.accountHolderService_.list(
      { provider_id: providerId, external_id: externalId },
      {},
      sharedContext
    )
    return holder ? await this.baseRepository_.serialize<AccountHolderDTO>(holder) : undefined
  }

  @InjectTransactionManager()
  protected async createAccountHolder_(
    data: Record<string, unknown>,
    @MedusaContext() sharedContext: Context = {}
  ) {
    return await this.accountHolderService_.create(data, sharedContext)
  }

  @InjectTransactionManager()
  protected async updateAccountHolder_(
    data: Record<string, unknown>,
    @MedusaContext() sharedContext: Context = {}
  ) {
    return await this.accountHolderService_.update(data, sharedContext)
  }

  @InjectTransactionManager()
  protected async deleteAccountHolder_(id: string, @MedusaContext() sharedContext: Context = {}) {
    await this.accountHolderService_.delete(id, sharedContext)
  }
}
