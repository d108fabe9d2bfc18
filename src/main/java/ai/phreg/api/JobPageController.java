package ai.phreg.api;

import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * The web page's own URLs: the page is one static document that shows the list or a job
 * by its path, so each of its URLs is answered with that document.
 */
@ServiceOnly
@Controller
class JobPageController {

	@GetMapping({ "/jobs", "/jobs/{id:[A-Za-z0-9-]+}" })
	String page() {
		return "forward:/index.html";
	}

}
