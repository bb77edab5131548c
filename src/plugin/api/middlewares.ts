import { defineMiddlewares } from "@medusajs/framework/http"
import { refuseRefundTheOrderCannotRecord } from "./refuse-refund-the-order-cannot-record"
import { refreshFailedSessions } from "./refresh-failed-sessions"
import { paymentOfRoute, paymentsOfOrder, refuseWhileMovementOpen } from "./refuse-while-movement-open"
import { serializeByCollection, serializeByOrder, serializeByPayment } from "./serialize-order-payments"
import { verifyWebhookAtTheDoor } from "./verify-webhook"

/**
 * The plugin's API middlewares (`plugins: [{ resolve: "medusa-payment-plus" }]`).
 * They run before Medusa's own route handlers of the same paths:
 * - every admin request that moves an order's money waits for the previous
 *   one on that order to finish (serialize-order-payments.ts);
 * - a capture, refund or cancel while an earlier movement of the payment
 *   still waits for the provider is refused as a CONFLICT that names it
 *   (refuse-while-movement-open.ts);
 * - a refund the order could not record afterwards is refused before it is
 *   made (refuse-refund-the-order-cannot-record.ts);
 * - a cart's payment session whose last attempt failed is read again from its
 *   provider before Medusa completes the cart (refresh-failed-sessions.ts);
 * - a webhook for one of this module's providers is checked before Medusa
 *   queues it (verify-webhook.ts).
 */
const refuseWhileOpen = refuseWhileMovementOpen(paymentOfRoute)
const refuseWhileOrderOpen = refuseWhileMovementOpen(paymentsOfOrder)

export default defineMiddlewares({
  routes: [
    { matcher: "/admin/payments/:id/capture", methods: ["POST"], middlewares: [serializeByPayment, refuseWhileOpen] },
    {
      matcher: "/admin/payments/:id/refund",
      methods: ["POST"],
      middlewares: [serializeByPayment, refuseWhileOpen, refuseRefundTheOrderCannotRecord],
    },
    { matcher: "/admin/payment-collections/:id/mark-as-paid", methods: ["POST"], middlewares: [serializeByCollection] },
    { matcher: "/admin/orders/:id/cancel", methods: ["POST"], middlewares: [serializeByOrder, refuseWhileOrderOpen] },
    { matcher: "/store/carts/:id/complete", methods: ["POST"], middlewares: [refreshFailedSessions] },
    { matcher: "/hooks/payment/:provider", methods: ["POST"], middlewares: [verifyWebhookAtTheDoor] },
  ],
})
