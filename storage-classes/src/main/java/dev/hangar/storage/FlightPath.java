package dev.hangar.storage;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Flight path rules: 1..1024 bytes of UTF-8; slash-separated segments, each non-empty, at most 255
 * bytes, not {@code .} or {@code ..}, without control characters or {@code \}.
 */
public final class FlightPath {
  public static final int MAX_BYTES = 1024;
  public static final int MAX_SEGMENT_BYTES = 255;

  private FlightPath() {}

  /** Joins descriptor segments with {@code /} ({@code ["a","b"]} and {@code ["a/b"]} are one flight) and validates. */
  public static String of(List<String> segments) {
    if (segments.isEmpty()) {
      throw new InvalidFlightPathException("Invalid flight path: the descriptor has no path segments");
    }
    return validate(String.join("/", segments));
  }

  /** Returns {@code path} if it is valid, else throws {@link InvalidFlightPathException} saying which rule it breaks. */
  public static String validate(String path) {
    int bytes = utf8Length(path);
    if (bytes == 0) {
      throw new InvalidFlightPathException("Invalid flight path \"\": it is empty (use e.g. cache/tenant1/report)");
    }
    if (bytes > MAX_BYTES) {
      throw new InvalidFlightPathException(
          "Invalid flight path \"%s…\": it is %d bytes of UTF-8, more than the limit of %d", shorten(path), bytes, MAX_BYTES);
    }
    int n = 0;
    for (int start = 0; ; ) { // one pass, no allocation: this runs on every call with a path
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = path.length();
      }
      checkSegment(path, start, end, ++n);
      if (end == path.length()) {
        break;
      }
      start = end + 1;
    }
    return path;
  }

  /** Decodes a ticket or action body: strict UTF-8, then {@link #validate}. */
  public static String fromUtf8(byte[] bytes, String what) {
    return validate(decodeUtf8(bytes).orElseThrow(() -> new InvalidFlightPathException(
        "Invalid %s: it is not UTF-8 text (expected a flight path such as cache/tenant1/report)", what)));
  }

  /** Segment {@code n} of {@code path}, the characters from {@code start} to {@code end}. */
  private static void checkSegment(String path, int start, int end, int n) {
    int length = end - start;
    if (length == 0) {
      throw new InvalidFlightPathException(
          "Invalid flight path \"%s\": segment %d is empty (no leading, trailing or double slashes)", printable(path), n);
    }
    if (path.charAt(start) == '.' && (length == 1 || (length == 2 && path.charAt(start + 1) == '.'))) {
      throw new InvalidFlightPathException("Invalid flight path \"%s\": segment %d is \"%s\", which is not allowed", printable(path), n,
          path.substring(start, end));
    }
    int segmentBytes = utf8Length(path, start, end);
    if (segmentBytes > MAX_SEGMENT_BYTES) {
      throw new InvalidFlightPathException(
          "Invalid flight path \"%s…\": segment %d is %d bytes of UTF-8, more than the limit of %d",
          shorten(path), n, segmentBytes, MAX_SEGMENT_BYTES);
    }
    for (int j = start; j < end; j++) {
      char c = path.charAt(j);
      if (Character.isISOControl(c)) {
        throw new InvalidFlightPathException(
            "Invalid flight path \"%s\": segment %d contains control character U+%04X", printable(path), n, (int) c);
      }
      if (c == '\\') {
        throw new InvalidFlightPathException(
            "Invalid flight path \"%s\": segment %d contains a backslash (segments are separated by /)", printable(path), n);
      }
    }
  }

  /** Strict UTF-8: empty if {@code bytes} is not valid UTF-8 (never a replacement character). */
  public static Optional<String> decodeUtf8(byte[] bytes) {
    if (bytes != null && isAscii(bytes)) {
      return Optional.of(new String(bytes, StandardCharsets.US_ASCII)); // nearly every path: no decoder to make
    }
    try {
      return Optional.of(StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes == null ? new byte[0] : bytes))
          .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  private static boolean isAscii(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  /** The UTF-8 length of {@code s}, counted without encoding it (this runs on every call with a path). */
  private static int utf8Length(String s) {
    return utf8Length(s, 0, s.length());
  }

  /** The UTF-8 length of the characters of {@code s} from {@code from} to {@code to}. */
  private static int utf8Length(String s, int from, int to) {
    int bytes = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new InvalidFlightPathException("Invalid flight path: it is not valid Unicode (unpaired surrogate)");
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  private static String shorten(String path) {
    return printable(path.length() > 64 ? path.substring(0, 64) : path);
  }

  /** The path with control characters shown as escapes, so messages stay on one line. */
  private static String printable(String path) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (Character.isISOControl(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
