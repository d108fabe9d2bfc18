package ai.phreg.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;

/**
 * A controller of the job service that a targets worker
 * ({@code phreg.targets.worker=true}, the {@code worker} profile) does not have: a
 * worker's HTTP port serves only health and metrics, so nothing can submit, stop or
 * download jobs through it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ConditionalOnProperty(name = "phreg.targets.worker", havingValue = "false", matchIfMissing = true)
@interface ServiceOnly {

}
