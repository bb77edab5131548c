import { defineWidgetConfig } from "@medusajs/admin-sdk"
import type { AdminOrder, DetailWidgetProps } from "@medusajs/framework/types"
import { Badge, Button, Container, Heading, Input, Text } from "@medusajs/ui"
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { useState } from "react"
import type { OrderPaymentTimelines, PaymentWithTimeline } from "../../types/payment-timeline"
import { canCaptureMore, causeLabel, entryLabel, entryTone, isCapturableInput, moneyLabel, orderMoneyFingerprint } from "../lib/payment-timeline"
import { sdk } from "../lib/sdk"

// The order page's "Payment timeline": for each payment of the order, what
// happened to its money, oldest first, as the module's ledger recorded it
// (GET /admin/payment-plus/orders/:id/payments, an admin route of this
// package's plugin), and what is still waiting for the provider.

/** While something is pending or unknown, the reconciliation job may settle it at any time. */
const REFRESH_WHILE_OPEN_MS = 15_000

function usePaymentTimelines(order: AdminOrder) {
  // The dashboard reads the order again after a capture, refund or cancel
  // made on this page: its money fields change, and the timeline is read again.
  const fingerprint = orderMoneyFingerprint(order)
  return useQuery({
    queryKey: ["payment-plus", "payment-timelines", order.id, fingerprint],
    queryFn: () => sdk.client.fetch<OrderPaymentTimelines>(`/admin/payment-plus/orders/${order.id}/payments`),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.payments.some((p) => p.open.length) ? REFRESH_WHILE_OPEN_MS : false),
  })
}

const PaymentTimelineWidget = ({ data: order }: DetailWidgetProps<AdminOrder>) => {
  const { data, error, isFetching, refetch } = usePaymentTimelines(order)
  return (
    <Container className="divide-y p-0" data-testid="payment-timeline">
      <div className="flex items-center justify-between px-6 py-4">
        <div>
          <Heading level="h2">Payment timeline</Heading>
          <Text size="small" className="text-ui-fg-subtle">
            Every movement of the order's money, from the payment ledger
          </Text>
        </div>
        <Button size="small" variant="secondary" onClick={() => void refetch()} isLoading={isFetching} data-testid="payment-timeline-refresh">
          Refresh
        </Button>
      </div>
      {error && (
        <div className="px-6 py-4">
          <Text size="small" className="text-ui-fg-error" data-testid="payment-timeline-error">
            Could not load the payment timeline: {error.message}
          </Text>
        </div>
      )}
      {data && !data.payments.length && (
        <div className="px-6 py-4">
          <Text size="small" className="text-ui-fg-subtle">
            This order has no payments yet.
          </Text>
        </div>
      )}
      {data?.payments.map((payment) => <PaymentSection key={payment.id} payment={payment} />)}
    </Container>
  )
}

function PaymentSection({ payment }: { payment: PaymentWithTimeline }) {
  return (
    <div className="px-6 py-4" data-testid="payment-timeline-payment" data-payment-id={payment.id}>
      <div className="mb-3 flex items-center justify-between">
        <Text size="small" weight="plus">
          {payment.id}
        </Text>
        <Text size="small" className="text-ui-fg-subtle">
          {payment.provider_id}
        </Text>
      </div>
      {canCaptureMore(payment) && <CapturePart payment={payment} />}
      <ol className="flex flex-col gap-y-2">
        {payment.timeline.map((entry, index) => (
          <li
            key={`${entry.subject_id}-${entry.event}-${index}`}
            className="grid grid-cols-[1fr_auto] gap-x-4"
            data-testid="payment-timeline-entry"
            data-subject={entry.subject}
            data-event={entry.event}
            data-amount={entry.amount ?? ""}
          >
            <div className="flex flex-col">
              <div className="flex items-center gap-x-2">
                <Text size="small" weight="plus">
                  {entryLabel(entry)}
                </Text>
                {entryTone(entry) && (
                  <Badge size="2xsmall" color={entryTone(entry)}>
                    {entry.event}
                  </Badge>
                )}
              </div>
              <Text size="xsmall" className="text-ui-fg-subtle">
                {new Date(entry.at).toLocaleString()} · <span data-testid="payment-timeline-cause">{causeLabel(entry.caused_by)}</span>
                {entry.note ? ` · ${entry.note}` : ""}
              </Text>
            </div>
            <Text size="small" className="text-right tabular-nums" data-testid="payment-timeline-amount">
              {entry.amount === null ? "" : moneyLabel(entry.amount, entry.currency_code ?? payment.currency_code)}
            </Text>
          </li>
        ))}
      </ol>
      {payment.open.length > 0 && (
        <div className="bg-ui-bg-subtle mt-4 rounded-md px-4 py-3" data-testid="payment-timeline-open">
          {payment.open.map((open) => (
            <div key={open.id} className="flex flex-col" data-testid="payment-timeline-open-movement" data-status={open.status} data-subject={open.subject}>
              <div className="flex items-center gap-x-2">
                <Badge size="2xsmall" color={open.status === "unknown" ? "red" : "orange"}>
                  {open.status}
                </Badge>
                <Text size="small" weight="plus">
                  {open.subject} {open.id}
                </Text>
              </div>
              <Text size="xsmall" className="text-ui-fg-subtle">
                {open.next_step} Next attempt from {new Date(open.not_before).toLocaleString()}.
              </Text>
            </div>
          ))}
        </div>
      )}
    </div>
  )
}

/**
 * Capture part of an authorization. Medusa's own "Capture payment" button
 * captures the whole amount; this sends the same request
 * (POST /admin/payments/:id/capture) with the amount the merchant enters.
 */
function CapturePart({ payment }: { payment: PaymentWithTimeline }) {
  const queryClient = useQueryClient()
  const [amount, setAmount] = useState("")
  const capture = useMutation({
    mutationFn: (value: number) => sdk.client.fetch(`/admin/payments/${payment.id}/capture`, { method: "POST", body: { amount: value } }),
    onSuccess: () => setAmount(""),
    // Read again after a failure too: an answer lost on the way back may hide
    // a capture that happened, and the timeline then shows it as unknown.
    onSettled: () => {
      // The order page (Medusa's queries start with "orders") and this timeline.
      void queryClient.invalidateQueries({ queryKey: ["orders"] })
      void queryClient.invalidateQueries({ queryKey: ["payment-plus"] })
    },
  })
  const valid = isCapturableInput(amount, payment.capturable_amount)
  return (
    <div className="mb-3 flex flex-col gap-y-1" data-testid="payment-timeline-capture">
      <form
        className="flex items-center gap-x-2"
        onSubmit={(event) => {
          event.preventDefault()
          if (valid) capture.mutate(Number(amount.trim()))
        }}
      >
        <Input
          size="small"
          className="w-32"
          inputMode="decimal"
          placeholder={`up to ${payment.capturable_amount}`}
          aria-label="Amount to capture"
          value={amount}
          onChange={(event) => setAmount(event.target.value)}
        />
        <Text size="small" className="text-ui-fg-subtle">
          {payment.currency_code.toUpperCase()}
        </Text>
        <Button size="small" variant="secondary" type="submit" className="whitespace-nowrap" disabled={!valid} isLoading={capture.isPending}>
          Capture amount
        </Button>
      </form>
      {capture.error && (
        <Text size="xsmall" className="text-ui-fg-error" data-testid="payment-timeline-capture-error">
          {capture.error.message}
        </Text>
      )}
      {payment.provider_id.includes("stripe") && (
        <Text size="xsmall" className="text-ui-fg-muted">
          Stripe releases the rest of the authorization after a partial capture, unless it was authorized for multicapture.
        </Text>
      )}
    </div>
  )
}

export const config = defineWidgetConfig({
  zone: "order.details.after",
  id: "medusa-payment-plus:payment-timeline",
})

export default PaymentTimelineWidget
