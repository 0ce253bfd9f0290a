/**
 * Limit policies (standard, segmented, hierarchical quotas over storage classes).
 *
 * <p>Not implemented yet (issue "Limit policies"): the config schema for them is parsed and
 * validated in {@code dev.hangar.config}, and the server refuses to start with a config that
 * declares any, rather than silently not enforcing them.
 */
package dev.hangar.limits;
