package io.isomargin.abi.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Starts one {@link AnvilChain} per test class (before all, closed after all) and injects {@link AnvilChain} and
 * {@link Deployment} parameters into constructors, lifecycle and test methods. The deployment is made on first use
 * and shared by the class's tests. Extra anvil arguments come from {@link AnvilArgs} on the class.
 *
 * <pre>{@code
 * @ExtendWith(AnvilExtension.class)
 * class MyTest {
 *     @Test void works(Deployment d, AnvilChain chain) { ... }
 * }
 * }</pre>
 *
 * <p>Tests of one class share state; isolate them with {@link AnvilChain#snapshot()} / {@link AnvilChain#revert}.
 */
public final class AnvilExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(AnvilExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        String[] args = AnnotationSupport.findAnnotation(context.getRequiredTestClass(), AnvilArgs.class)
                .map(AnvilArgs::value).orElse(new String[0]);
        context.getStore(NS).put(AnvilChain.class, new ChainResource(AnvilChain.start(args)));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        ChainResource resource = context.getStore(NS).remove(AnvilChain.class, ChainResource.class);
        if (resource != null) {
            resource.close();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == AnvilChain.class || type == Deployment.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // stored in the class-level store by beforeAll; method-level stores see it through their parent
        ChainResource resource = context.getStore(NS).get(AnvilChain.class, ChainResource.class);
        if (resource == null) {
            throw new ParameterResolutionException("no AnvilChain: register AnvilExtension on the test class "
                    + "(a static @RegisterExtension field or @ExtendWith)");
        }
        return parameter.getParameter().getType() == AnvilChain.class ? resource.chain : resource.deployment();
    }

    /** The class's chain and its lazily made deployment; closed by JUnit with the class's store should afterAll not
     * run. */
    private static final class ChainResource implements ExtensionContext.Store.CloseableResource {
        final AnvilChain chain;
        private Deployment deployment;

        ChainResource(AnvilChain chain) {
            this.chain = chain;
        }

        synchronized Deployment deployment() {
            if (deployment == null) {
                deployment = Deployment.deploy(chain);
            }
            return deployment;
        }

        @Override
        public void close() {
            chain.close();
        }
    }
}
