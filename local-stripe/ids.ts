import { randomBytes } from "crypto"

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

export function randomToken(length: number): string {
  const bytes = randomBytes(length)
  let out = ""
  for (let i = 0; i < length; i++) {
    out += ALPHABET[bytes[i] % ALPHABET.length]
  }
  return out
}

// Real ids are `<prefix>_<24 base62 chars>`; integrations sometimes sniff the
// prefix, so keep it identical.
export function newId(prefix: string): string {
  return `${prefix}_${randomToken(24)}`
}

export function clientSecret(id: string): string {
  return `${id}_secret_${randomToken(25)}`
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
