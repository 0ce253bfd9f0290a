package dev.hangar.server;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates the security tests make for themselves, as PEM files in a directory: a CA, a server
 * certificate for 127.0.0.1 and localhost (its key in PKCS#8, and the same key in PKCS#1), client
 * certificates signed by the CA, a client certificate from another CA, and an expired server
 * certificate.
 */
public final class TestCertificates {
  public final Path dir;
  public final Path caCert;
  public final Path serverCert;
  public final Path serverKey;
  public final Path serverKeyPkcs1;
  public final Path expiredCert;
  public final Path expiredKey;
  public final Path otherCaCert;
  private final KeyPair ca;
  private final X509Certificate caCertificate;
  private final KeyPair otherCa;
  private final X509Certificate otherCaCertificate;

  public TestCertificates(Path dir) throws Exception {
    this.dir = dir;
    ca = rsa();
    caCertificate = sign("CN=Hangar Test CA", ca, "CN=Hangar Test CA", ca.getPrivate(), true, Duration.ofDays(1), false);
    caCert = write("ca.pem", caCertificate);
    otherCa = rsa();
    otherCaCertificate = sign("CN=Some Other CA", otherCa, "CN=Some Other CA", otherCa.getPrivate(), true, Duration.ofDays(1), false);
    otherCaCert = write("other-ca.pem", otherCaCertificate);
    KeyPair server = rsa();
    serverCert = write("server.pem", sign("CN=hangar-test-server", server, "CN=Hangar Test CA", ca.getPrivate(), false, Duration.ofDays(1), true));
    serverKey = writeKey("server-key.pem", server.getPrivate());
    serverKeyPkcs1 = writePkcs1("server-key-pkcs1.pem", server.getPrivate());
    KeyPair old = rsa();
    expiredCert = write("expired.pem", sign("CN=hangar-expired", old, "CN=Hangar Test CA", ca.getPrivate(), false, Duration.ofDays(-1), true));
    expiredKey = writeKey("expired-key.pem", old.getPrivate());
  }

  /** A client certificate with {@code subject}, signed by the test CA; returns {cert, key} paths. */
  public Path[] client(String name, String subject) throws Exception {
    return client(name, subject, ca, caCertificate);
  }

  /** A client certificate signed by the test CA that expired yesterday. */
  public Path[] expiredClient(String name, String subject) throws Exception {
    KeyPair k = rsa();
    X509Certificate c = sign(subject, k, caCertificate.getSubjectX500Principal().getName(), ca.getPrivate(), false, Duration.ofDays(-1), false);
    return new Path[] {write(name + ".pem", c), writeKey(name + "-key.pem", k.getPrivate())};
  }

  /** A client certificate signed by another CA, which the server does not trust. */
  Path[] foreignClient(String name, String subject) throws Exception {
    return client(name, subject, otherCa, otherCaCertificate);
  }

  private Path[] client(String name, String subject, KeyPair issuer, X509Certificate issuerCert) throws Exception {
    KeyPair k = rsa();
    X509Certificate c = sign(subject, k, issuerCert.getSubjectX500Principal().getName(), issuer.getPrivate(), false, Duration.ofDays(1), false);
    return new Path[] {write(name + ".pem", c), writeKey(name + "-key.pem", k.getPrivate())};
  }

  static String read(Path p) throws IOException {
    return Files.readString(p, StandardCharsets.US_ASCII);
  }

  private static KeyPair rsa() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048, new SecureRandom());
    return g.generateKeyPair();
  }

  /** {@code valid} from now (negative: it ended that long ago, having started a day before). */
  private static X509Certificate sign(String subject, KeyPair subjectKeys, String issuer, PrivateKey issuerKey, boolean isCa,
      Duration valid, boolean serverNames) throws Exception {
    Instant now = Instant.now();
    Instant from = valid.isNegative() ? now.minus(Duration.ofDays(2)) : now.minus(Duration.ofHours(1));
    Instant to = now.plus(valid);
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(new SecureRandom().nextLong() & Long.MAX_VALUE),
        Date.from(from), Date.from(to), new X500Name(subject), subjectKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    if (isCa) {
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    }
    if (serverNames) {
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
    }
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey)));
  }

  private Path write(String name, X509Certificate c) throws IOException {
    return pem(name, c);
  }

  /** PKCS#8 ("BEGIN PRIVATE KEY"). */
  private Path writeKey(String name, PrivateKey k) throws IOException {
    return pem(name, new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", k.getEncoded()));
  }

  /** PKCS#1 ("BEGIN RSA PRIVATE KEY"), as openssl genrsa wrote before 3.0. */
  private Path writePkcs1(String name, PrivateKey k) throws IOException {
    return pem(name, new JcaMiscPEMGenerator(k).generate());
  }

  private Path pem(String name, Object o) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(text)) {
      w.writeObject(o instanceof org.bouncycastle.util.io.pem.PemObject p ? (org.bouncycastle.util.io.pem.PemObjectGenerator) () -> p : o);
    }
    Path p = dir.resolve(name);
    Files.writeString(p, text.toString(), StandardCharsets.US_ASCII);
    return p;
  }
}
