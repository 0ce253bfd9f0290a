package dev.hangar.server.security;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files of {@code server.tls} (and of {@code cluster.etcdTls}) with messages that say what to do. Keys may be PKCS#8
 * ({@code BEGIN PRIVATE KEY}: RSA, EC or Ed25519) or PKCS#1 ({@code BEGIN RSA PRIVATE KEY}, what
 * {@code openssl genrsa} wrote before 3.0), which is wrapped into PKCS#8 here; other forms are
 * refused with the openssl command that converts them.
 */
public final class PemFiles {
  private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");
  private static final byte[] RSA_ALGORITHM = { // SEQUENCE { OID 1.2.840.113549.1.1.1 rsaEncryption, NULL }
      0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

  private PemFiles() {}

  /** A TLS file is missing, unreadable, malformed, expired or does not match: the message says which and how to fix it. */
  public static final class TlsFileException extends Exception {
    private static final long serialVersionUID = 1L;

    public TlsFileException(String message) {
      super(message);
    }
  }

  /** The certificates in {@code file} (a chain, leaf first, or a CA bundle); at least one. */
  public static List<X509Certificate> certificates(String what, Path file) throws TlsFileException {
    byte[] bytes = read(what, file);
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new TlsFileException(what + " " + file + " holds no certificate (expected PEM blocks BEGIN CERTIFICATE)");
      }
      return out;
    } catch (CertificateException e) {
      throw new TlsFileException(what + " " + file + " is not a PEM certificate file (expected BEGIN CERTIFICATE blocks)");
    }
  }

  /** The private key in {@code file}, {@code server.tls.key}. */
  public static PrivateKey privateKey(Path file) throws TlsFileException {
    return privateKey("server.tls.key", file);
  }

  /** The private key in {@code file}, the setting {@code what}. */
  public static PrivateKey privateKey(String what, Path file) throws TlsFileException {
    String text = new String(read(what, file), StandardCharsets.US_ASCII);
    Matcher m = BLOCK.matcher(text);
    if (!m.find()) {
      throw new TlsFileException(what + " " + file + " is not a PEM private key (expected BEGIN PRIVATE KEY)");
    }
    String type = m.group(1);
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2).trim());
    } catch (IllegalArgumentException e) {
      throw new TlsFileException(what + " " + file + ": the " + type + " block is not valid base64");
    }
    byte[] pkcs8 = switch (type) {
      case "PRIVATE KEY" -> der;
      case "RSA PRIVATE KEY" -> wrapPkcs1(der);
      case "EC PRIVATE KEY" -> throw new TlsFileException(what + " " + file + " is a SEC1 EC key; convert it to PKCS#8 with:"
          + " openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key-pkcs8.pem");
      case "ENCRYPTED PRIVATE KEY" -> throw new TlsFileException(what + " " + file + " is encrypted; Hangar reads unencrypted keys"
          + " (protect the file with permissions): openssl pkcs8 -in " + file + " -out key-pkcs8.pem");
      default -> throw new TlsFileException(what + " " + file + " holds a " + type + " block, not a private key");
    };
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new TlsFileException(what + " " + file + " is not an RSA, EC or Ed25519 private key this JDK can read");
  }

  /**
   * Checks that {@code key} belongs to the leaf of {@code chain} (it signs what the certificate's
   * public key verifies), and that every certificate is valid now.
   */
  public static void checkPair(Path certFile, List<X509Certificate> chain, Path keyFile, PrivateKey key, Instant now) throws TlsFileException {
    checkPair("server.tls", certFile, chain, keyFile, key, now);
  }

  /** As {@link #checkPair(Path, List, Path, PrivateKey, Instant)} for the {@code cert} and {@code key} of the setting {@code section}. */
  public static void checkPair(String section, Path certFile, List<X509Certificate> chain, Path keyFile, PrivateKey key, Instant now)
      throws TlsFileException {
    checkValid(section + ".cert", certFile, chain, now);
    X509Certificate leaf = chain.get(0);
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> key.getAlgorithm(); // Ed25519, Ed448
    };
    try {
      byte[] probe = "hangar key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(leaf.getPublicKey());
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // a key of another type than the certificate's: no match
    }
    throw new TlsFileException(section + ".key " + keyFile + " does not match the certificate in " + certFile
        + " (" + leaf.getSubjectX500Principal().getName() + ")");
  }

  /** Every certificate in {@code certs} is valid at {@code now}. */
  public static void checkValid(String what, Path file, List<X509Certificate> certs, Instant now) throws TlsFileException {
    for (X509Certificate c : certs) {
      try {
        c.checkValidity(Date.from(now));
      } catch (CertificateExpiredException e) {
        throw new TlsFileException(what + " " + file + ": certificate " + c.getSubjectX500Principal().getName() + " expired on "
            + c.getNotAfter().toInstant());
      } catch (CertificateNotYetValidException e) {
        throw new TlsFileException(what + " " + file + ": certificate " + c.getSubjectX500Principal().getName() + " is not valid before "
            + c.getNotBefore().toInstant());
      }
    }
  }

  private static byte[] read(String what, Path file) throws TlsFileException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new TlsFileException(what + " " + file + " does not exist");
    } catch (AccessDeniedException e) {
      throw new TlsFileException(what + " " + file + " is not readable by this user");
    } catch (IOException e) {
      throw new TlsFileException(what + " " + file + " cannot be read" + (Files.isDirectory(file) ? " (it is a directory)" : ""));
    }
  }

  /** PKCS#8 PrivateKeyInfo around a PKCS#1 RSAPrivateKey: SEQUENCE { 0, rsaEncryption, OCTET STRING pkcs1 }. */
  static byte[] wrapPkcs1(byte[] pkcs1) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(new byte[] {0x02, 0x01, 0x00});
    body.writeBytes(RSA_ALGORITHM);
    body.write(0x04);
    body.writeBytes(derLength(pkcs1.length));
    body.writeBytes(pkcs1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x30);
    out.writeBytes(derLength(body.size()));
    out.writeBytes(body.toByteArray());
    return out.toByteArray();
  }

  private static byte[] derLength(int n) {
    if (n < 0x80) {
      return new byte[] {(byte) n};
    }
    int bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
    byte[] out = new byte[1 + bytes];
    out[0] = (byte) (0x80 | bytes);
    for (int i = bytes; i >= 1; i--) {
      out[i] = (byte) n;
      n >>>= 8;
    }
    return out;
  }
}
