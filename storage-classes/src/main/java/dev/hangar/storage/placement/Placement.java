package dev.hangar.storage.placement;

import dev.hangar.config.Sizes;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.storage.NoStorageClassException;
import dev.hangar.storage.StorageClass;
import dev.hangar.tiers.Tier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a flight goes: its storage class (longest prefix of its path) and, within the class, the
 * first tier that admits its size. The one place tier choice is made, for puts and for restores.
 */
public final class Placement {
  private final Map<StorageType, Tier> tiers;
  private final List<StorageClass> classes;
  private final PrefixRouter<StorageClass> router;

  /** @throws IllegalArgumentException if a class uses a storage type this node does not have */
  public Placement(List<StorageClassConfig> configs, Map<StorageType, Tier> tiers) {
    this.tiers = Collections.unmodifiableMap(new EnumMap<>(tiers));
    List<StorageClass> built = new ArrayList<>();
    Map<String, StorageClass> byPrefix = new LinkedHashMap<>();
    for (StorageClassConfig c : configs) {
      for (TierConfig t : c.tiers()) {
        if (!tiers.containsKey(t.storage())) {
          throw new IllegalArgumentException("Cannot build flight store: storage class \"" + c.prefix()
              + "\" uses storage type " + t.storage() + ", which this node does not have");
        }
      }
      StorageClass sc = new StorageClass(c);
      built.add(sc);
      byPrefix.put(c.prefix(), sc);
    }
    this.classes = List.copyOf(built);
    this.router = PrefixRouter.of(byPrefix);
  }

  public Map<StorageType, Tier> tiers() {
    return tiers;
  }

  public List<StorageClass> classes() {
    return classes;
  }

  /** The storage class that governs {@code path}, if any. */
  public Optional<StorageClass> classOf(String path) {
    return router.route(path);
  }

  /** The storage class of {@code path}, or the error a put of it gets. */
  public StorageClass requireClass(String path) {
    return classOf(path).orElseThrow(() -> new NoStorageClassException(
        "Cannot store flight \"%s\": no storage class prefix matches it (add a class for it, or one with prefix \"\")", path));
  }

  /** The tier at {@code index} in {@code sc}'s list. */
  public Tier tier(StorageClass sc, int index) {
    return tiers.get(sc.tier(index).storage());
  }

  /**
   * The first tier of {@code sc} whose {@code maxFlightSize} and whole capacity admit a flight of
   * {@code bytes}, or -1 if none does.
   */
  public int firstTierFor(StorageClass sc, long bytes) {
    for (int i = 0; i < sc.tierCount(); i++) {
      if (bytes <= sc.tier(i).maxFlightSize() && bytes <= tier(sc, i).capacity().limit()) {
        return i;
      }
    }
    return -1;
  }

  /** Whether tier {@code index} of {@code sc} exists and its {@code maxFlightSize} admits {@code bytes}. */
  public static boolean admits(StorageClass sc, int index, long bytes) {
    return index >= 0 && index < sc.tierCount() && bytes <= sc.tier(index).maxFlightSize();
  }

  /** The durable classes that may hold flights whose path starts with {@code prefix}. */
  public List<StorageClass> durableClasses(String prefix) {
    List<StorageClass> out = new ArrayList<>();
    for (StorageClass sc : classes) {
      if (sc.isDurable() && (sc.prefix().startsWith(prefix) || prefix.startsWith(sc.prefix()))) {
        out.add(sc);
      }
    }
    return out;
  }

  /** The tiers of {@code sc} with their limits, for messages. */
  public String describeTiers(StorageClass sc) {
    List<String> parts = new ArrayList<>();
    for (TierConfig t : sc.config().tiers()) {
      String max = t.maxFlightSize() == TierConfig.UNLIMITED ? "no maxFlightSize" : "maxFlightSize " + Sizes.format(t.maxFlightSize());
      parts.add(t.storage() + ": " + max + ", capacity " + Sizes.format(tiers.get(t.storage()).capacity().limit()));
    }
    return String.join("; ", parts);
  }
}
