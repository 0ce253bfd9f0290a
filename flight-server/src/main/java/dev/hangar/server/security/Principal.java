package dev.hangar.server.security;

import dev.hangar.config.AuthConfig;
import dev.hangar.config.AuthConfig.Access;
import dev.hangar.config.AuthConfig.Grant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Who a call runs as, and what it may do: the grants of its principal. A grant gives an access
 * level on every path that starts with its prefix; levels include the ones below (admin ⊃ write ⊃
 * read). Without {@code auth} every call is {@link #ANONYMOUS}, which may do anything.
 */
public final class Principal {
  public static final Principal ANONYMOUS = new Principal(AuthConfig.ANONYMOUS, List.of(new Grant("", Access.ADMIN)));
  /**
   * Another node of this cluster, known by the cluster token: may do anything. A client's own grants
   * were checked at the node it called, before that node passed the call on.
   */
  public static final Principal CLUSTER = new Principal("(cluster)", List.of(new Grant("", Access.ADMIN)));
  /** Code running outside any call: may do nothing (so a lost context fails closed). */
  public static final Principal NOBODY = new Principal("(no call)", List.of());

  private final String name;
  private final List<Grant> grants;

  public Principal(String name, List<Grant> grants) {
    this.name = name;
    this.grants = List.copyOf(grants);
  }

  public String name() {
    return name;
  }

  public List<Grant> grants() {
    return grants;
  }

  /** Whether some grant of at least {@code access} covers {@code path}. */
  public boolean may(Access access, String path) {
    for (Grant g : grants) {
      if (g.access().compareTo(access) >= 0 && path.startsWith(g.prefix())) {
        return true;
      }
    }
    return false;
  }

  /** Admin on every path (a grant {@code {prefix: "", access: admin}}): node-wide actions need it. */
  public boolean isNodeAdmin() {
    return may(Access.ADMIN, "");
  }

  /**
   * The prefixes to walk to list what this principal may read under {@code prefix}, in path
   * order and disjoint: a grant inside {@code prefix} contributes its own prefix; a grant that
   * covers {@code prefix} contributes {@code prefix} itself (and makes the others redundant).
   */
  public List<String> readableRanges(String prefix) {
    List<String> out = new ArrayList<>();
    for (Grant g : grants) {
      if (g.access().compareTo(Access.READ) < 0) {
        continue;
      }
      if (prefix.startsWith(g.prefix())) {
        return List.of(prefix);
      }
      if (g.prefix().startsWith(prefix)) {
        out.add(g.prefix());
      }
    }
    out.sort(Comparator.naturalOrder());
    List<String> disjoint = new ArrayList<>();
    for (String p : out) {
      if (disjoint.isEmpty() || !p.startsWith(disjoint.get(disjoint.size() - 1))) {
        disjoint.add(p);
      }
    }
    return disjoint;
  }

  @Override
  public String toString() {
    return name;
  }
}
