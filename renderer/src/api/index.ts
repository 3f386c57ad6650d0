// The renderer's entry to the backend. Components and Pinia setup stores call
// useApi(); main.ts provides the real connection, tests provide a fake client
// (test/support/fake-api.ts) with `app.provide(API_KEY, ...)`.
import { inject, type InjectionKey } from "vue";
import type { ApiClient } from "../../../shared/api/contract";
import type { ApiConnection } from "./connection";

export const API_KEY: InjectionKey<ApiConnection> = Symbol("tabula-api");

export function useApiConnection(): ApiConnection {
  const connection = inject(API_KEY, null);
  if (!connection)
    throw new Error(
      "No Tabula API connection is provided: call app.provide(API_KEY, connectApi()) before mounting (tests: provide a fake from test/support/fake-api.ts).",
    );
  return connection;
}

export function useApi(): ApiClient {
  return useApiConnection().client;
}

export { connectApi, type ApiConnection } from "./connection";
export type { ConnectionState } from "./socket-client";
