/**
 * NestJS: `SwarmscopeModule.forRoot(options)` starts swarmscope, records every HTTP request
 * through a global interceptor (the SERVER span, the HTTP metrics and request logs the Python
 * middleware records), and serves `/metrics` and the health probes. `@InstrumentAgentRun`
 * and `@InstrumentToolCall` make a provider's method an agent run or a tool call.
 *
 * A separate entry point (`@swarmscope/node/nestjs`), so an app without NestJS never loads it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type CallHandler,
  type DynamicModule,
  type ExecutionContext,
  Global,
  Inject,
  Injectable,
  type MiddlewareConsumer,
  Module,
  type NestInterceptor,
  type NestModule,
  RequestMethod,
} from "@nestjs/common";
import { APP_INTERCEPTOR } from "@nestjs/core";
import { context } from "@opentelemetry/api";
import { Observable, tap } from "rxjs";
import { type AgentRunOptions, agentRun } from "./agents.js";
import type { Options } from "./config.js";
import { DEFAULT_EXCLUDED_PATHS, openExchange, routeOf } from "./http.js";
import { init, type Runtime } from "./runtime.js";
import { type ToolCallOptions, toolCall } from "./tools.js";
import { type HealthChecks, LIVE_PATH, READY_PATH, defaultHealth, healthHandler, metricsHandler } from "./web.js";

export const SWARMSCOPE_RUNTIME = Symbol.for("swarmscope.runtime");
const MODULE_OPTIONS = Symbol.for("swarmscope.nest_options");

export interface SwarmscopeModuleOptions extends Options {
  /** Where Prometheus scrapes; false to serve no metrics route. */
  metricsPath?: string | false;
  /** The health checks the readiness probe runs; false to serve no probes. */
  health?: HealthChecks | false;
  /** Paths served without telemetry (scrapes and probes would dominate the request metrics). */
  excludedPaths?: readonly string[];
}

interface RawPair {
  request: IncomingMessage;
  response: ServerResponse;
}

/** Express hands Nest node's own objects; Fastify wraps them (`raw`). */
function raw(execution: ExecutionContext): RawPair {
  const http = execution.switchToHttp();
  const request = http.getRequest<IncomingMessage & { raw?: IncomingMessage }>();
  const response = http.getResponse<ServerResponse & { raw?: ServerResponse }>();
  return { request: request.raw ?? request, response: response.raw ?? response };
}

/** Records each HTTP request a controller handles; other contexts (RPC, websockets) pass through. */
@Injectable()
export class SwarmscopeInterceptor implements NestInterceptor {
  constructor(@Inject(MODULE_OPTIONS) private readonly options: SwarmscopeModuleOptions = {}) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (execution.getType() !== "http") return next.handle();
    const { request, response } = raw(execution);
    const template = routeOf(execution.switchToHttp().getRequest());
    const exchange = openExchange(request, response, template, this.options.excludedPaths ?? DEFAULT_EXCLUDED_PATHS);
    if (exchange === undefined) return next.handle();
    const module = execution.getClass().name;
    // Subscribing runs the handler: inside the request's context, so its spans nest.
    return new Observable((subscriber) =>
      context.with(exchange.context, () =>
        next
          .handle()
          .pipe(tap({ error: (error: unknown) => { exchange.fail(error, module); } }))
          .subscribe(subscriber),
      ),
    );
  }
}

@Global()
@Module({})
export class SwarmscopeModule implements NestModule {
  constructor(@Inject(MODULE_OPTIONS) private readonly options: SwarmscopeModuleOptions) {}

  static forRoot(options: SwarmscopeModuleOptions = {}): DynamicModule {
    return {
      module: SwarmscopeModule,
      providers: [
        { provide: MODULE_OPTIONS, useValue: options },
        {
          provide: SWARMSCOPE_RUNTIME,
          useFactory: (): Runtime => {
            const settings: Options = { ...options };
            for (const key of ["metricsPath", "health", "excludedPaths"]) Reflect.deleteProperty(settings, key);
            return init(settings);
          },
        },
        { provide: APP_INTERCEPTOR, useClass: SwarmscopeInterceptor },
      ],
      exports: [SWARMSCOPE_RUNTIME],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const metricsPath = this.options.metricsPath ?? "/metrics";
    if (metricsPath !== false) {
      consumer.apply(metricsHandler()).forRoutes({ path: metricsPath, method: RequestMethod.GET });
    }
    const health = this.options.health ?? defaultHealth;
    if (health !== false) {
      consumer
        .apply(healthHandler(health))
        .forRoutes({ path: LIVE_PATH, method: RequestMethod.GET }, { path: READY_PATH, method: RequestMethod.GET });
    }
  }
}

type Method<A extends unknown[], R> = (this: unknown, ...args: A) => R;

/** A method decorator running each call of the method through `around`. */
function wrapping(around: <R>(call: () => R) => R) {
  return <A extends unknown[], R>(_target: object, _key: string | symbol, descriptor: TypedPropertyDescriptor<Method<A, R>>) => {
    const method = descriptor.value;
    if (method === undefined) return descriptor;
    descriptor.value = function (this: unknown, ...args: A): R {
      return around(() => method.apply(this, args));
    };
    return descriptor;
  };
}

/** Make the decorated method one run of `agent` (its promise, if async, is awaited). */
export function InstrumentAgentRun(agent: string, options?: AgentRunOptions) {
  return wrapping((call) => agentRun(agent, call, options));
}

/** Make the decorated method one call of `tool`. */
export function InstrumentToolCall(tool: string, options?: ToolCallOptions) {
  return wrapping((call) => toolCall(tool, call, options));
}
