// Request fault injection. A rule fires on the next N requests that match it,
// either before the endpoint runs (nothing changes) or after (state changed,
// but the client never learns the result: the "lost response" case).

export type FaultPhase = "before" | "after"
export type FaultAction = "error" | "disconnect" | "delay"

export interface FaultRule {
  id: string
  method: string | null
  /** Path pattern; `*` matches exactly one segment. */
  path: string
  phase: FaultPhase
  action: FaultAction
  status: number
  delay_ms: number
  remaining: number
  message: string | null
}

export interface FaultRuleInput {
  /** Shorthand for method + path, e.g. "POST /v1/payment_intents/*\/capture". */
  match?: string
  method?: string
  path?: string
  phase?: FaultPhase
  action?: FaultAction
  status?: number
  delay_ms?: number
  times?: number
  message?: string
}

let ruleCounter = 0

export class FaultInjector {
  private rules: FaultRule[] = []

  add(input: FaultRuleInput): FaultRule {
    const rule = normalise(input)
    this.rules.push(rule)
    return rule
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }))
  }

  clear(): void {
    this.rules = []
  }

  /** Consumes one use of the first rule that matches, if any. */
  take(phase: FaultPhase, method: string, path: string): FaultRule | undefined {
    const rule = this.rules.find(
      (r) => r.phase === phase && r.remaining > 0 && matches(r, method, path)
    )
    if (!rule) return undefined
    rule.remaining -= 1
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule)
    return { ...rule }
  }
}

function normalise(input: FaultRuleInput): FaultRule {
  let method = input.method ?? null
  let path = input.path
  if (input.match) {
    const parts = input.match.trim().split(/\s+/)
    if (parts.length === 2) [method, path] = parts
    else path = parts[0]
  }
  if (!path) throw new Error("A fault rule needs a path (or match: 'METHOD /path').")
  const phase = input.phase ?? "before"
  if (phase !== "before" && phase !== "after") throw new Error(`Unknown fault phase: ${phase}`)
  const action = input.action ?? "error"
  if (!["error", "disconnect", "delay"].includes(action)) {
    throw new Error(`Unknown fault action: ${action}`)
  }
  return {
    id: `fault_${++ruleCounter}`,
    method: method ? method.toUpperCase() : null,
    path,
    phase,
    action,
    status: input.status ?? 500,
    delay_ms: input.delay_ms ?? 0,
    remaining: input.times ?? 1,
    message: input.message ?? null,
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method && rule.method !== method.toUpperCase()) return false
  const want = rule.path.split("/").filter(Boolean)
  const got = path.split("/").filter(Boolean)
  return want.length === got.length && want.every((seg, i) => seg === "*" || seg === got[i])
}
