package io.isomargin.abi.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Extra anvil command-line arguments for the chain {@link AnvilExtension} starts for the annotated test class,
 * e.g. {@code @AnvilArgs({"--block-time", "1"})}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
public @interface AnvilArgs {
    String[] value();
}
