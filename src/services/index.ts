export { default as PaymentModuleService } from "./payment-module"
export { default as PaymentProviderService } from "./payment-provider"
