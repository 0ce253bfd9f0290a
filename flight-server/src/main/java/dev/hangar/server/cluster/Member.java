package dev.hangar.server.cluster;

/**
 * One node of the cluster as it registered in etcd.
 *
 * @param id its {@code cluster.nodeId}
 * @param flight its Flight location, e.g. {@code grpc://10.0.0.7:8815}: where clients and other nodes reach it
 * @param http its operations endpoint ({@code /metrics}, {@code /ready}), or empty if it has none
 */
public record Member(String id, String flight, String http) {
  /** The record as stored under the member's key: three tab-separated fields. */
  String encode() {
    return id + "\t" + flight + "\t" + http;
  }

  static Member decode(String value) {
    String[] f = value.split("\t", -1);
    if (f.length != 3) {
      throw new IllegalArgumentException("not a member record");
    }
    return new Member(f[0], f[1], f[2]);
  }
}
