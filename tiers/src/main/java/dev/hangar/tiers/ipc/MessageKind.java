package dev.hangar.tiers.ipc;

/** The Arrow IPC message types a flight is made of. */
public enum MessageKind {
  SCHEMA,
  DICTIONARY_BATCH,
  RECORD_BATCH
}
