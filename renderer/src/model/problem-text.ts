// Validation's sentences are written for the design document: they are read
// after their JSON path ("users.mira: has no hashedPassword ...") and name
// JSON fields to edit. On screen a problem sits under the field it is about,
// so here it becomes a sentence of its own, in the words of the screen: a
// subject where the original leans on its path, no JSON paths, the controls
// to use instead of the fields to write, a capital and a full stop.
import type { Mode, Problem } from "../../../shared/design/types";

interface Rewrite {
  /** The problem's path. */
  path: RegExp;
  message: RegExp;
  text: (path: RegExpExecArray, mode: Mode | null) => string;
}

/** The sentences a person meets walking the screens, said for the screen. */
const REWRITES: Rewrite[] = [
  {
    path: /^users$/,
    message: /^has neither root nor a user in the "wheel" group/,
    text: () =>
      "No one could log in as an administrator: give a user the group wheel (under Groups) and set their password.",
  },
  {
    path: /^users\.([^.[]+)$/,
    message: /^has no hashedPassword or hashedPasswordFile: on a tmpfs root/,
    text: (p) =>
      `${p[1]} has no password yet: type it twice and press Set password (a password set later with passwd would be lost at every reboot).`,
  },
  {
    path: /^users\.([^.[]+)$/,
    message:
      /^has no hashedPassword or hashedPasswordFile: after the conversion/,
    text: (p) =>
      `${p[1]} has no password in this design: after the conversion / is a tmpfs and a password set with passwd is lost at every reboot, so make sure your configuration declares one.`,
  },
  {
    path: /^recover\.add$/,
    message: /^holds nothing to bring in/,
    text: () => "Nothing is chosen yet: tick at least one path to recover.",
  },
];

/** JSON paths a message mentions, and the words to use on screen instead. */
const JSON_WORDS: [RegExp, string][] = [
  // "(persistence.directories[2])", " at persistence.users.mira.files[0]"
  [/ \((?:persistence|recover)\.[\w.[\]-]+\)/g, ""],
  [/ at (?:persistence|recover)\.[\w.[\]-]+/g, ""],
  [/ from recover\.add\b/g, " from the chosen paths"],
  [
    / to persistence\.(?:directories|files)\b/g,
    " to what is kept (Persistence)",
  ],
  [/ under persistence\.(?:directories|files)\b/g, " as a system path"],
];

/** Messages that lean on their path for a subject start with one of these. */
const VERB = /^(has|is|does|holds|contains|must|should|needs|lists)\b/;

function userOf(path: string): string | null {
  return /^users\.([^.[]+)/.exec(path)?.[1] ?? null;
}

function subjectOf(path: string): string {
  const user = userOf(path);
  if (user) return user;
  if (path === "recover.add") return "The list of paths to recover";
  return "This design";
}

/** The sentence to show for a problem, on the screen where it is fixed. */
export function problemText(problem: Problem, mode: Mode | null): string {
  for (const r of REWRITES) {
    const p = r.path.exec(problem.path);
    if (p && r.message.test(problem.message)) return r.text(p, mode);
  }
  let text = problem.message.trim();
  // An empty field: say what to give rather than quote nothing.
  const notA = /^"" is not (an? [^:]+):\s*/.exec(text);
  if (notA) text = `Give ${notA[1]} here: ${text.slice(notA[0].length)}`;
  text = text.replace(/^"" is empty: /, "");
  for (const [json, words] of JSON_WORDS) text = text.replace(json, words);
  if (VERB.test(text)) text = `${subjectOf(problem.path)} ${text}`;
  // A user's name is written as it is; anything else starts with a capital.
  if (!text.startsWith(`${userOf(problem.path)} `))
    text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
