// The one place a request becomes a service call, shared by both transports:
// known method, checked arguments, and every failure turned into a reply
// carrying a sentence (the transports never see an exception).
import type { ApiHandlers, ApiMethod } from "../../shared/api/contract";
import { API_METHODS } from "../../shared/api/contract";
import { checkArgs, isApiMethod } from "./api-schemas";

export type Reply = { result: unknown } | { error: { message: string } };

export type Dispatch = (method: unknown, args: unknown) => Promise<Reply>;

export function unknownMethod(method: unknown): string {
  const shown =
    typeof method === "string" ? `"${method.slice(0, 100)}"` : String(method);
  return `Unknown method ${shown}; the methods are ${API_METHODS.join(", ")}.`;
}

export function createDispatch(handlers: ApiHandlers): Dispatch {
  return async (method, args) => {
    if (!isApiMethod(method))
      return { error: { message: unknownMethod(method) } };
    const checked = checkArgs(method, args);
    if (!checked.ok) return { error: { message: checked.error } };
    try {
      const handler = handlers[method] as (args: unknown) => Promise<unknown>;
      const result = await handler(checked.value);
      // JSON has no undefined: a handler that returns nothing answers null.
      return { result: result === undefined ? null : result };
    } catch (error) {
      return { error: { message: errorSentence(method, error) } };
    }
  };
}

function errorSentence(method: ApiMethod, error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return `"${method}" failed without saying why.`;
}
