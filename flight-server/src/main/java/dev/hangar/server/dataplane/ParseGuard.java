package dev.hangar.server.dataplane;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Requests that do not parse get {@code INVALID_ARGUMENT} naming the message they should have been.
 * Left to gRPC, a request its protobuf marshaller cannot parse ends the call as {@code UNKNOWN},
 * "Application error processing RPC", after a stack trace in the log. Each method's request
 * marshaller is wrapped so that a failed parse yields a marker instead, and the call is answered
 * before any handler sees it.
 */
final class ParseGuard {
  private static final Object MALFORMED = new Object();

  private ParseGuard() {}

  /** {@code service} with every method but those named in {@code exempt} (which parse for themselves) guarded. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static ServerServiceDefinition guard(ServerServiceDefinition service, Set<String> exempt) {
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(service.getServiceDescriptor().getName())
        .setSchemaDescriptor(service.getServiceDescriptor().getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      MethodDescriptor<?, ?> md = m.getMethodDescriptor();
      if (exempt.contains(md.getBareMethodName())) {
        methods.add(m);
      } else {
        MethodDescriptor guarded = md.toBuilder(new Guarded(md.getRequestMarshaller()), md.getResponseMarshaller()).build();
        methods.add(ServerMethodDefinition.create(guarded, new Handler((ServerCallHandler) m.getServerCallHandler(),
            md.getBareMethodName(), messageName(md.getRequestMarshaller()))));
      }
    }
    methods.forEach(m -> descriptor.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(m -> out.addMethod((ServerMethodDefinition) m));
    return out.build();
  }

  private static String messageName(MethodDescriptor.Marshaller<?> m) {
    if (m instanceof MethodDescriptor.PrototypeMarshaller<?> p && p.getMessagePrototype() instanceof com.google.protobuf.Message msg) {
      return msg.getDescriptorForType().getName();
    }
    return "request";
  }

  /** Parses as the original does, or returns {@link #MALFORMED}. */
  private static final class Guarded implements MethodDescriptor.Marshaller<Object> {
    private final MethodDescriptor.Marshaller<Object> original;

    @SuppressWarnings("unchecked")
    Guarded(MethodDescriptor.Marshaller<?> original) {
      this.original = (MethodDescriptor.Marshaller<Object>) original;
    }

    @Override
    public InputStream stream(Object value) {
      return original.stream(value);
    }

    @Override
    public Object parse(InputStream stream) {
      try {
        return original.parse(stream);
      } catch (RuntimeException e) {
        return MALFORMED;
      }
    }
  }

  /** Answers a malformed request at once; otherwise the original handler's listener sees everything. */
  private record Handler(ServerCallHandler<Object, Object> original, String rpc, String message) implements ServerCallHandler<Object, Object> {
    @Override
    public ServerCall.Listener<Object> startCall(ServerCall<Object, Object> call, Metadata headers) {
      ServerCall.Listener<Object> inner = original.startCall(call, headers);
      return new ServerCall.Listener<>() {
        private boolean refused;

        @Override
        public void onMessage(Object m) {
          if (refused) {
            return;
          }
          if (m == MALFORMED) {
            refused = true;
            call.close(Status.INVALID_ARGUMENT.withDescription("Invalid " + rpc + " request: it is not a valid " + message
                + " protobuf message"), new Metadata());
            return;
          }
          inner.onMessage(m);
        }

        @Override
        public void onHalfClose() {
          if (!refused) {
            inner.onHalfClose();
          }
        }

        @Override
        public void onReady() {
          if (!refused) {
            inner.onReady();
          }
        }

        @Override
        public void onCancel() {
          inner.onCancel();
        }

        @Override
        public void onComplete() {
          inner.onComplete();
        }
      };
    }
  }
}
