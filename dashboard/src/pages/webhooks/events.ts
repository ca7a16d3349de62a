/** Webhook events and the form's rules (admin/webhooks.py, common/webhooks.py). */
import { z } from "zod";
import type { components } from "../../api/schema";

export type Webhook = components["schemas"]["WebhookPublic"];
export type Delivery = components["schemas"]["Delivery"];
export type WebhookEvent = Webhook["events"][number];

export const EVENTS: readonly { event: WebhookEvent; label: string; sends: string }[] = [
  { event: "click", label: "Clicks", sends: "Every counted click of your links, batched: a delivery holds all the clicks counted together." },
  { event: "link.created", label: "Link created", sends: "A link of yours was created, in the dashboard, the API or an import." },
  { event: "link.updated", label: "Link updated", sends: "A link of yours was changed, disabled or enabled." },
  { event: "link.deleted", label: "Link deleted", sends: "A link of yours was deleted." },
];

const EVENT_NAMES = EVENTS.map(({ event }) => event) as [WebhookEvent, ...WebhookEvent[]];
const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 200;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

export const webhookSchema = z.object({
  url: z
    .string()
    .trim()
    .min(1, "Enter the URL that receives the events.")
    .max(MAX_URL_LENGTH, `Use at most ${MAX_URL_LENGTH} characters.`)
    .refine(isHttpUrl, "Enter an http:// or https:// URL, without a user name or password."),
  description: z.string().trim().max(MAX_DESCRIPTION_LENGTH, `Use at most ${MAX_DESCRIPTION_LENGTH} characters.`),
  events: z.array(z.enum(EVENT_NAMES)).min(1, "Choose at least one event."),
});

export type WebhookValues = z.output<typeof webhookSchema>;

export function eventLabel(event: WebhookEvent): string {
  return EVENTS.find((known) => known.event === event)?.label ?? event;
}

/** A delivery's state in words: what happened and what happens next. */
export function deliveryState(delivery: Delivery): string {
  if (delivery.status === "delivered") return `Delivered after ${delivery.attempts} ${delivery.attempts === 1 ? "attempt" : "attempts"}`;
  if (delivery.status === "failed") return `Failed after ${delivery.attempts} attempts`;
  if (delivery.attempts === 0) return "Waiting to be sent";
  return `Retrying: ${delivery.attempts} ${delivery.attempts === 1 ? "attempt" : "attempts"} so far`;
}
