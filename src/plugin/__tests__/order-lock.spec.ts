import type { ILockingModule } from "@medusajs/framework/types"
import { RedisLockingProvider } from "@medusajs/locking-redis/dist/services/redis-lock"
import Redis from "ioredis"
import { acquire } from "../order-lock"

// The plugin's per-order lock on Medusa's own Redis locking provider, which
// takes several keys in parallel: a request that got one key and not the
// other must not keep it while it waits, or two requests holding one key each
// wait for each other until both give up (seen as 409s in the scale-out e2e).

const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379"
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Without Redis this suite is skipped with a line saying so; CI has Redis and must run it. */
const describeWithRedis: jest.Describe = (() => {
  if (process.env.REDIS_AVAILABLE) return describe
  if (process.env.CI) throw new Error("CI must run the Redis lock tests, but no Redis answers (REDIS_URL).")
  process.stderr.write("Skipping the Redis lock tests: no Redis answers at REDIS_URL (default redis://127.0.0.1:6379).\n")
  return describe.skip
})()

describeWithRedis("the per-order lock on Redis", () => {
  let redis: Redis
  let locking: ILockingModule
  const prefix = `order-lock-spec-${process.pid}:`

  beforeAll(async () => {
    redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await redis.connect()
    locking = new RedisLockingProvider({ redisClient: redis, prefix } as any, {}) as unknown as ILockingModule
  })

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length) await redis.del(...keys)
    redis.disconnect()
  })

  it("while it waits for a busy key it holds none of the others, then takes them all", async () => {
    await locking.acquire(["order_1"], { ownerId: "edit", expire: 30 })
    const ours = acquire(locking, ["cart_1", "order_1"], "refund", 180)
    await sleep(200)

    // The cart key stays free for another holder while our request waits.
    let taken = false
    for (let i = 0; i < 20 && !taken; i++) {
      taken = await locking.acquire(["cart_1"], { ownerId: "checkout", expire: 30 }).then(
        () => true,
        () => false
      )
      if (!taken) await sleep(10)
    }
    expect(taken).toBe(true)
    await locking.release(["cart_1"], { ownerId: "checkout" })

    await locking.release(["order_1"], { ownerId: "edit" })
    await ours
    expect(await redis.mget(`${prefix}cart_1`, `${prefix}order_1`)).toEqual(["refund", "refund"])
  })

  it("two requests taking the same two keys at once both finish, one after the other", async () => {
    const run = async (owner: string) => {
      await acquire(locking, ["cart_2", "order_2"], owner, 180)
      await sleep(50)
      await locking.release(["cart_2", "order_2"], { ownerId: owner })
      return Date.now()
    }
    const started = Date.now()
    const done = await Promise.all(Array.from({ length: 6 }, (_, i) => run(`request_${i}`)))
    expect(Math.max(...done) - started).toBeLessThan(10_000)
  })
})
