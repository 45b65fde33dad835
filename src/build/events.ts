// What berthd says about each message of a build's legacy progress stream
// (the `berth` field next to `stream`): the step it belongs to, what the text
// is, and the step's duration as measured where it ran. The docker CLI
// ignores the field; `berth build --progress=plain` renders BuildKit's plain
// format from it.

export type BuildEvent =
  /** `Step N/M : INSTRUCTION` */
  | { kind: 'step'; step: number; total: number; text: string }
  /** output of a RUN; `at`: seconds since its step began */
  | { kind: 'output'; step: number; at: number }
  /** ` ---> Using cache` */
  | { kind: 'cached'; step: number }
  /** ` ---> <id>`: the step ended after `seconds` */
  | { kind: 'done'; step: number; seconds: number }
  /** the legacy builder's bookkeeping lines (`Running in`, `Removing intermediate container`) */
  | { kind: 'chatter' }
  /** `Successfully built <id>` (the full ID) */
  | { kind: 'built'; id: string }
  /** `Successfully tagged <name>` */
  | { kind: 'tagged'; name: string };

export type Emit = (text: string, ev?: BuildEvent) => void;
