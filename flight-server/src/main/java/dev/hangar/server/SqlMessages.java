package dev.hangar.server;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import org.apache.arrow.flight.sql.impl.FlightSql;

/**
 * Checks a Flight SQL message (a command, a ticket, an action body: a protobuf {@code Any} of one of
 * Flight SQL's messages) before Arrow's handlers unpack it, so that a forged or truncated one is
 * {@code INVALID_ARGUMENT} naming the field and the message type, never a Java class name or a
 * parser's exception text.
 */
final class SqlMessages {
  private static final String PREFIX = "type.googleapis.com/arrow.flight.protocol.sql.";

  private SqlMessages() {}

  /**
   * Throws {@link Errors.BadRequestException} unless {@code bytes} is an {@code Any} of a Flight SQL
   * message that parses. {@code field} names what carried it ("the ticket", "the DoPut command").
   * Returns the message's name.
   */
  static String check(byte[] bytes, String field) {
    Any any;
    try {
      any = Any.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new Errors.BadRequestException("Invalid Flight SQL request: " + field + " is not a protobuf Any message");
    }
    String url = any.getTypeUrl();
    if (!url.startsWith(PREFIX)) {
      throw new Errors.BadRequestException("Invalid Flight SQL request: " + field + " holds a message of type \""
          + printable(url) + "\", which is not a Flight SQL message");
    }
    String name = url.substring(PREFIX.length());
    Descriptors.Descriptor type = FlightSql.getDescriptor().findMessageTypeByName(name);
    if (type == null) {
      throw new Errors.BadRequestException("Invalid Flight SQL request: " + field + " holds \"" + printable(name)
          + "\", which is not a Flight SQL message");
    }
    try {
      DynamicMessage.parseFrom(type, any.getValue());
    } catch (InvalidProtocolBufferException e) {
      throw new Errors.BadRequestException("Invalid Flight SQL request: the " + name + " in " + field + " is malformed");
    }
    return name;
  }

  /** As {@link #check}, and the message must be of type {@code expected}. */
  static void check(byte[] bytes, String field, String expected) {
    String name = check(bytes, field);
    if (!name.equals(expected)) {
      throw new Errors.BadRequestException("Invalid Flight SQL request: " + field + " holds a " + name + ", not a " + expected);
    }
  }

  private static String printable(String s) {
    String cut = s.length() > 100 ? s.substring(0, 100) + "..." : s;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
