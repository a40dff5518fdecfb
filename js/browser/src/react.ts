/**
 * A React error boundary that reports what it catches, without this package depending on
 * React: pass your React in, get a component back.
 *
 *     const ErrorBoundary = errorBoundary(React);
 *     <ErrorBoundary fallback={<p>Something went wrong.</p>}><App /></ErrorBoundary>
 */

import { captureError } from "./errors";

interface ComponentClass {
  new (props: BoundaryProps): {
    props: BoundaryProps;
    state: { failed: boolean };
  };
}

export interface ReactLike {
  Component: ComponentClass;
}

export interface BoundaryProps {
  fallback?: unknown;
  children?: unknown;
}

export function errorBoundary(react: ReactLike): ComponentClass {
  class SwarmscopeErrorBoundary extends react.Component {
    constructor(props: BoundaryProps) {
      super(props);
      this.state = { failed: false };
    }

    static getDerivedStateFromError(): { failed: boolean } {
      return { failed: true };
    }

    componentDidCatch(error: unknown, info: { componentStack?: string | null }): void {
      captureError(error, "react", { component_stack: info.componentStack ?? undefined });
    }

    render(): unknown {
      return this.state.failed ? (this.props.fallback ?? null) : this.props.children;
    }
  }
  return SwarmscopeErrorBoundary;
}

/** For boundaries you already have (or react-error-boundary's `onError`). */
export function reportReactError(error: unknown, info?: { componentStack?: string | null }): void {
  captureError(error, "react", { component_stack: info?.componentStack ?? undefined });
}
