package dev.hangar.server.security;

import dev.hangar.config.AuthConfig.Access;

/**
 * Authorization: what the current call's principal may do, checked before the store is asked
 * anything, so that a refused call learns nothing about the flight (not even whether it exists).
 * Refusals are {@link PermissionDeniedException}, which the error mapping turns into Flight's
 * {@code UNAUTHORIZED} with this message.
 */
public final class Grants {
  private Grants() {}

  /** Refuses unless the caller has {@code access} on {@code path}. */
  public static void require(Access access, String path) {
    Principal p = Authenticator.current();
    if (!p.may(access, path)) {
      throw new PermissionDeniedException(String.format("Principal \"%s\" may not %s \"%s\": no %s grant covers that path",
          p.name(), verb(access), path, access.label()));
    }
  }

  /** Refuses unless a write grant covers every path under {@code prefix} (delete-prefix). */
  public static void requireWriteUnder(String prefix) {
    Principal p = Authenticator.current();
    if (!p.may(Access.WRITE, prefix)) {
      throw new PermissionDeniedException(String.format("Principal \"%s\" may not delete under \"%s\": that prefix is wider than its"
          + " write grants (name a prefix inside one of them)", p.name(), prefix));
    }
  }

  /** Refuses unless the caller is an admin of every path (node-wide actions). */
  public static void requireNodeAdmin(String what) {
    Principal p = Authenticator.current();
    if (!p.isNodeAdmin()) {
      throw new PermissionDeniedException(String.format("Principal \"%s\" may not %s: it needs an admin grant on every path"
          + " ({prefix: \"\", access: admin})", p.name(), what));
    }
  }

  /** Whether the caller may read {@code path} (for filtering listings). */
  public static boolean mayRead(String path) {
    return Authenticator.current().may(Access.READ, path);
  }

  private static String verb(Access access) {
    return switch (access) {
      case READ -> "read";
      case WRITE -> "write";
      case ADMIN -> "administer";
    };
  }

  /** The caller lacks the grant a call needs. */
  public static final class PermissionDeniedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PermissionDeniedException(String message) {
      super(message);
    }
  }
}
