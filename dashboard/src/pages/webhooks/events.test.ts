import { describe, expect, it } from "vitest";
import { type Delivery, deliveryState, eventLabel, webhookSchema } from "./events";

const delivery = (fields: Partial<Delivery>): Delivery => ({
  id: 1,
  event: "click",
  status: "pending",
  attempts: 0,
  created_at: "2026-11-30T12:00:00Z",
  last_attempt_at: null,
  next_attempt_at: null,
  last_status_code: null,
  last_error: null,
  delivered_at: null,
  payload: {},
  ...fields,
});

describe("webhookSchema", () => {
  it("takes an http(s) URL and at least one event", () => {
    expect(webhookSchema.safeParse({ url: " https://hooks.example.com/hop ", description: "", events: ["click"] }).success).toBe(true);
  });

  it.each([
    ["javascript:alert(1)", "Enter an http:// or https:// URL"],
    ["https://user:pw@example.com/", "without a user name or password"],
    ["", "Enter the URL"],
  ])("refuses %s", (url, message) => {
    const result = webhookSchema.safeParse({ url, description: "", events: ["click"] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(message);
  });

  it("wants an event", () => {
    expect(webhookSchema.safeParse({ url: "https://e.com/", description: "", events: [] }).error?.issues[0]?.message).toBe("Choose at least one event.");
  });
});

describe("labels", () => {
  it("names events and delivery states in words", () => {
    expect(eventLabel("link.updated")).toBe("Link updated");
    expect(deliveryState(delivery({}))).toBe("Waiting to be sent");
    expect(deliveryState(delivery({ attempts: 2 }))).toBe("Retrying: 2 attempts so far");
    expect(deliveryState(delivery({ status: "delivered", attempts: 1 }))).toBe("Delivered after 1 attempt");
    expect(deliveryState(delivery({ status: "failed", attempts: 10 }))).toBe("Failed after 10 attempts");
  });
});
