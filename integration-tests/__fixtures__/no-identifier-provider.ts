import { AbstractPaymentProvider, ModuleProvider, Modules } from "@medusajs/framework/utils"

/** A provider that forgot its static identifier: the loader must refuse it. */
class NamelessProvider extends (AbstractPaymentProvider as any) {}

export default ModuleProvider(Modules.PAYMENT, { services: [NamelessProvider as any] })
