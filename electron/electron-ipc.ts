// The API bound to Electron IPC: one ipcMain.handle channel per method, each
// message's sender frame checked before anything else, arguments checked by
// the same schemas as the WebSocket (createDispatch), and backend events
// forwarded to the window. Plain functions of their collaborators so the
// unit tests can drive them with a fake ipcMain.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from "electron";
import { EVENT_CHANNEL, methodChannel } from "../shared/api/bridge";
import { API_METHODS } from "../shared/api/contract";
import type { Dispatch, Reply } from "./backend/api-dispatch";
import type { EventBus } from "./backend/events";
import { isTrustedSender } from "./electron-window";

export const UNTRUSTED_SENDER =
  "Refused: this message did not come from Tabula's own page.";

export function bindApi(
  ipcMain: Pick<IpcMain, "handle" | "removeHandler">,
  dispatch: Dispatch,
  appUrl: string,
): () => void {
  for (const method of API_METHODS) {
    ipcMain.handle(
      methodChannel(method),
      async (event: IpcMainInvokeEvent, args: unknown): Promise<Reply> => {
        if (!isTrustedSender(event.senderFrame, appUrl))
          return { error: { message: UNTRUSTED_SENDER } };
        return dispatch(method, args);
      },
    );
  }
  return () => {
    for (const method of API_METHODS)
      ipcMain.removeHandler(methodChannel(method));
  };
}

/** Sends every backend event to the window while it exists. */
export function forwardEvents(
  events: EventBus,
  target: () => Pick<WebContents, "send" | "isDestroyed"> | null,
): () => void {
  return events.subscribe((event, payload) => {
    const contents = target();
    if (contents && !contents.isDestroyed())
      contents.send(EVENT_CHANNEL, { event, payload });
  });
}
