/* api/openapi.json in the binary, served at /v1/openapi.json. */
	.section .rodata
	.global _binary_api_openapi_json_start
	.global _binary_api_openapi_json_end
_binary_api_openapi_json_start:
	.incbin "api/openapi.json"
_binary_api_openapi_json_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
