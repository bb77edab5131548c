// The version the pinned stripe SDK (19.1.0) sends; echoed on responses and events.
export const ApiVersion = "2025-09-30.clover"
