// What provider authors may build on: the module's own amount and currency rules.
export * from "./amount"
export * from "./currency"
export { isOutcomeUnknown, PaymentOutcomeUnknownError } from "./errors"
