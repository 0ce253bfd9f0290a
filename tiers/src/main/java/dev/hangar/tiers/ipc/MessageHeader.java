package dev.hangar.tiers.ipc;

/**
 * One checked Arrow IPC message header: the flatbuffer bytes exactly as the client sent them, and
 * what Hangar needs to know about them. {@code rows} is a record batch's length (0 for others);
 * {@code dictionaryId} and {@code delta} are meaningful for dictionary batches only.
 */
public record MessageHeader(byte[] bytes, MessageKind kind, long bodyLength, long rows, long dictionaryId, boolean delta) {}
