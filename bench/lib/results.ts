/**
 * The shapes each benchmark section writes (as JSON) and the report reads. Every figure is a
 * measurement of this run; nothing here is a constant to compare against except the goals.
 */
import type { Summary } from './stats.js';

export interface PackageShare {
  readonly name: string;
  readonly bytes: number;
}

/** Which Node.js ran a figure: this machine's (20) and the Lambda runtime's major (24). */
export type NodeKey = 'node20' | 'node24';
export type PerNode = Partial<Record<NodeKey, Summary>>;
/**
 * A Lambda's init against its floor, from runs made next to each other (same Node, a random
 * order within each pair): `own` = Lambda minus floor in ms, `ratio` = both over the empty module's
 * median, one value per pair.
 */
export type PairedPerNode = Partial<
  Record<
    NodeKey,
    {
      readonly own: Summary;
      readonly ratio: Summary;
      /** ms in garbage collections that started during the init: the Lambda's, the floor's, and its own over the floor per pair. */
      readonly gc: { readonly lambda: Summary; readonly floor: Summary; readonly own: Summary };
      /**
       * Minor page faults the process took during the init (getrusage): the Lambda's, the floor's,
       * and its own over the floor per pair. Absent in results before they were counted.
       */
      readonly faults?: { readonly lambda: Summary; readonly floor: Summary; readonly own: Summary };
    }
  >
>;

export interface BundleFigures {
  readonly entry: string;
  /** Minified JS, source map excluded. */
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Same bundle with `@aws-sdk/*` and `@smithy/*` left external (loaded from node_modules). */
  readonly sdkExternalBytes: number;
  /** Bytes in the bundle by package, largest first. */
  readonly packages: readonly PackageShare[];
  /** What the entry file imports (its module-scope wiring). */
  readonly imports: readonly string[];
  /** The SDK floor this Lambda is measured against (FloorFigures.key). */
  readonly floor: string;
  /** Module init in ms: the shipped asset folder (from its code cache where the V8 is Node 24's). */
  readonly init: PerNode;
  /** The same folder without its code cache (compiled, as on a runtime of another V8): Node 24 only. */
  readonly initNoCache: PerNode;
  /** (b): SDK from node_modules. */
  readonly initSdkExternal: PerNode;
  /** The shipped folder next to its SDK floor, pair by pair: the goals' verdict figures. */
  readonly paired: PairedPerNode;
  /**
   * The same pairs after what the Lambda runtime loads before it imports a handler (`node:http`
   * and an Agent): the handler import alone, on Node 24.
   */
  readonly pairedAfterRuntime: PairedPerNode;
  /** The shipped pairs again on one core (`taskset -c 0`), Node 24; empty where taskset is missing. */
  readonly pairedOneCore: PairedPerNode;
}

/** A bundle that only constructs SDK clients, built like the Lambdas: what a Lambda cannot go below. */
export interface FloorFigures {
  readonly key: string;
  readonly clients: readonly string[];
  readonly bytes: number;
  /** Built the same way as the Lambdas: with a code cache. */
  readonly init: PerNode;
  /** The same, after what the runtime loads first (Node 24 only). */
  readonly initAfterRuntime: PerNode;
  /** On one core, next to each Lambda that uses it (Node 24). */
  readonly initOneCore: PerNode;
  /** The plain floor: the same bundle compiled, no code cache (Node 24 only). */
  readonly initNoCache: PerNode;
}

export interface ComponentFigures {
  readonly name: string;
  readonly what: string;
  readonly bytes: number;
  readonly init: PerNode;
}

/** Instructions at init by callgrind, per target key (`empty`, `<entry>:bundled`, `floor:<key>`, `floor+component:<name>`) and Node. */
/** A peer's stack (bench/lib/peers.ts), bundled and cached as the Lambdas are. */
export interface PeerFigures {
  readonly key: string;
  readonly name: string;
  readonly what: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly bytes: number;
  readonly init: PerNode;
}

export interface InstructionFigures {
  readonly tool: string;
  readonly nodeFlags: readonly string[];
  /** How many times each target was counted on each Node; the least count is kept. */
  readonly runsPerTarget?: Partial<Record<NodeKey, number>>;
  readonly counts: Readonly<Record<string, Partial<Record<NodeKey, number>>>>;
}

/** One subject's whole cold start on Node 24, without and with the exec wrapper, paired. */
export interface ExecWrapperRow {
  /** A Lambda entry, or `empty` (the empty module). */
  readonly key: string;
  /** Spawn to exit after the handler import, the runtime's bare command. */
  readonly without: Summary;
  /** The same through the exec wrapper, as the construct deploys it. */
  readonly with: Summary;
  /** Per pair: without minus with. */
  readonly saved: Summary;
  /** The handler import alone, measured in the child, without and with. */
  readonly importWithout: Summary;
  readonly importWith: Summary;
}

export interface ExecWrapperFigures {
  /** The runtime's bare flags (with `--expose-gc`), which the wrapper is given. */
  readonly runtimeFlags: readonly string[];
  readonly rows: readonly ExecWrapperRow[];
}

export interface ColdStartResult {
  readonly runs: number;
  /** Pairs of each Lambda and its floor per Node: the extra rounds run on the runtime's Node alone. */
  readonly pairRunsPerNode: Partial<Record<NodeKey, number>>;
  /** The Node.js binaries that ran, by key, with their versions. */
  readonly nodes: readonly { readonly key: NodeKey; readonly version: string }[];
  /** The flags every child node ran with (the runtime's, behind the exec wrapper). */
  readonly nodeFlags: readonly string[];
  /** The code cache file the asset folders got (Node 24's V8 and this machine's architecture). */
  readonly codeCacheFile?: string;
  /** Why Node 24 did not run, when it did not. */
  readonly node24Problem?: string;
  readonly empty: PerNode;
  /** The empty module after what the runtime loads first (Node 24 only). */
  readonly emptyAfterRuntime: PerNode;
  /** The empty module on one core (Node 24 only). */
  readonly emptyOneCore: PerNode;
  /** Why the one-core pairs did not run, when they did not. */
  readonly oneCoreProblem?: string;
  readonly bundles: readonly BundleFigures[];
  readonly floors: readonly FloorFigures[];
  readonly components: readonly ComponentFigures[];
  /** Absent in results of runs before the peers were measured. */
  readonly peers?: readonly PeerFigures[];
  /** Why there are none, when there are none. */
  readonly peersProblem?: string;
  readonly instructions?: InstructionFigures;
  /** Why no instructions were counted, when they were not. */
  readonly instructionsProblem?: string;
  /** Absent in results of runs before the exec wrapper. */
  readonly execWrapper?: ExecWrapperFigures;
  readonly execWrapperProblem?: string;
  /**
   * What one minor page fault costs on this machine, in µs (Node 24, or Node 20 without it): a
   * probe that touches fresh pages, median of its runs. Absent in results before it was measured.
   */
  readonly pageFaultMicros?: number;
  readonly seconds: number;
}

export interface CallCount {
  /** Calls per warm request, averaged over the timed requests, by service. */
  readonly perRequest: Readonly<Record<string, number>>;
  /** Operation names seen (e.g. DynamoDB PutItem, AS POST /token), per request. */
  readonly operations: Readonly<Record<string, number>>;
  readonly total: number;
}

export interface RouteFigures {
  readonly route: string;
  readonly floor: string;
  readonly handler: Summary;
  readonly floorTimes: Summary;
  readonly calls: CallCount;
  readonly callGoal: number;
}

export interface RoutesResult {
  readonly routes: readonly RouteFigures[];
  /** Requests per route whose network calls were counted (untimed, after the timed ones). */
  readonly countedRuns?: number;
  readonly seconds: number;
}

export interface TickFigures {
  readonly name: string;
  readonly due: number;
  readonly refreshed: number;
  readonly failed: number;
  readonly itemsRead: number;
  readonly readRequests: number;
  /** Time spent in those read requests (Query or Scan pages). */
  readonly readMs: number;
  /** The handler stopped early (its time budget or its per-tick cap). */
  readonly truncated: boolean;
  readonly ms: number;
  /** CPU time this process (handler, SDK, AS stand-in) used during the tick. */
  readonly cpuMs: number;
  /** CPU time DynamoDB Local (the Java process on the same cores) used during the tick, from /proc. */
  readonly emulatorCpuMs?: number;
  /** DynamoDB requests by operation during the tick. */
  readonly dynamoOperations: Readonly<Record<string, number>>;
  readonly tokenRequests: number;
  readonly summary: unknown;
}

export interface RefreshResult {
  readonly sessions: number;
  readonly dueSessions: number;
  readonly asDelayMs: number;
  readonly seedSeconds: number;
  readonly seedMethod: string;
  /** Refreshes in flight at once, from the handler's configuration. */
  readonly concurrency: number;
  /** The best (fastest) of the index ticks, measured in turn with the floor. */
  readonly indexTick: TickFigures;
  /** Every index tick and every floor run, in the order they ran (tick, floor, tick, ...). */
  readonly indexTickRounds?: readonly { readonly refreshed: number; readonly ms: number }[];
  readonly floorRounds?: readonly { readonly refreshes: number; readonly ms: number }[];
  readonly scanTick: TickFigures;
  /** CPU per refreshed session by package, from a third tick under the profiler. */
  readonly profiledRefreshed: number;
  readonly cpuByPackage: readonly { name: string; msPerRefresh: number }[];
  /** The same I/O with bare clients at the same concurrency: the best of its runs. */
  readonly floor: {
    readonly refreshes: number;
    readonly ms: number;
    readonly cpuMs: number;
    readonly emulatorCpuMs?: number;
  };
  readonly seconds: number;
}

export interface StepFigures {
  readonly step: string;
  readonly median: number;
}

export interface FlowFigures {
  readonly total: Summary;
  readonly steps: readonly StepFigures[];
}

export interface WholeLoginResult {
  readonly iterations: number;
  readonly backend: FlowFigures;
  readonly asOnly: FlowFigures;
  readonly seconds: number;
}
