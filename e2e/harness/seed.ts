import type { SeedResult } from "../../app/seed"

/** What app/seed.ts creates (its SEED_OUTPUT JSON), without its step log. */
export type Seed = Omit<SeedResult, "steps">
