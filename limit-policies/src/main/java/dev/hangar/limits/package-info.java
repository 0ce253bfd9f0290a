/**
 * Limit policies (standard, segmented, hierarchical quotas over storage classes): {@link
 * dev.hangar.limits.LimitPolicies} resolves the scopes that govern a flight path, and {@link
 * dev.hangar.limits.UsageLedger} keeps each scope's usage exact, per flight and per put in
 * progress. The flight store (module storage-classes) reports every change of a flight to the
 * ledger and evicts inside a scope when its {@code ephemeral} limit is full.
 */
package dev.hangar.limits;
