/*
 * The web console's static files (api/web/) in the binary, served by
 * api/console.c: one start and end symbol per file, no build step.
 */
	.macro asset name, file
	.global web_\name\()_start
	.global web_\name\()_end
web_\name\()_start:
	.incbin "\file"
web_\name\()_end:
	.byte 0
	.endm

	.section .rodata
	asset index_html, "api/web/index.html"
	asset style_css, "api/web/style.css"
	asset app_js, "api/web/app.js"
	asset util_js, "api/web/util.js"
	asset station_js, "api/web/station.js"
	asset ledger_js, "api/web/ledger.js"
	asset verify_js, "api/web/verify.js"
	asset check_js, "api/web/check.js"
	.section .note.GNU-stack,"",@progbits
