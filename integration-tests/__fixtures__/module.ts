import path from "path"

/** Where the tests load the module from: its source, exactly as a Medusa app resolves it. */
export const MODULE_PATH = path.resolve(__dirname, "..", "..", "src")
export const MIGRATIONS_PATH = path.join(MODULE_PATH, "migrations")
export const SCRIPTED_PROVIDER = path.join(__dirname, "scripted-provider.ts")

/** The scripted provider registered as { resolve, id: "test" } gets this key. */
export const SCRIPTED = "pp_scripted_test"
export const MANUAL = "pp_system_default"

export const defaultModuleOptions = {
  providers: [{ resolve: SCRIPTED_PROVIDER, id: "test" }],
}
