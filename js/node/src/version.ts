/** The package's version, on the resource as `telemetry.distro.version`. */
export const VERSION = "0.1.0";
