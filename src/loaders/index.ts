export { default as loadProviders } from "./providers"
