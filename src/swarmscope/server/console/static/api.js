// The one way views talk to the server: GET JSON, small query strings, errors as ApiError.
// Same-origin fetches carry the Basic credentials the browser was challenged for, if any.

export class ApiError extends Error {
  constructor(status, message, path) {
    super(message);
    this.status = status;
    this.path = path;
  }
}

/** GET `path` with `params` (empty values left out); the parsed JSON body, or ApiError. */
export async function getJSON(path, params = {}, signal = undefined) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && String(value) !== "") {
      url.searchParams.set(key, value);
    }
  }
  const response = await fetch(url, { signal, headers: { accept: "application/json" } });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const reason = body?.error || `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, reason, path);
  }
  return body;
}
