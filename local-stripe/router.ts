// A deliberately tiny router: literal segments and `:name` captures, nothing else.

export interface RouteMatch<H> {
  handler: H
  pathParams: Record<string, string>
}

interface Route<H> {
  method: string
  segments: string[]
  handler: H
}

function split(path: string): string[] {
  return path.split("/").filter((s) => s !== "")
}

export class Router<H> {
  private readonly routes: Route<H>[] = []

  add(method: string, pattern: string, handler: H): this {
    this.routes.push({ method: method.toUpperCase(), segments: split(pattern), handler })
    return this
  }

  get(pattern: string, handler: H): this {
    return this.add("GET", pattern, handler)
  }

  post(pattern: string, handler: H): this {
    return this.add("POST", pattern, handler)
  }

  delete(pattern: string, handler: H): this {
    return this.add("DELETE", pattern, handler)
  }

  match(method: string, path: string): RouteMatch<H> | undefined {
    const wanted = split(path)
    for (const route of this.routes) {
      if (route.method !== method.toUpperCase()) continue
      const pathParams = matchSegments(route.segments, wanted)
      if (pathParams) return { handler: route.handler, pathParams }
    }
    return undefined
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined
  const captured: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith(":")) {
      captured[pattern[i].slice(1)] = safeDecode(actual[i])
    } else if (pattern[i] !== actual[i]) {
      return undefined
    }
  }
  return captured
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
