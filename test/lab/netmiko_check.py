"""Netmiko's cisco_ios driver against one lab router: log in, disable paging, read outputs.

Usage: netmiko_check.py HOST PORT USER PASSWORD [PAGING_COMMAND]
With $NETMIKO_SECRET set, Netmiko is given that enable secret and calls enable() after login.
Prints one JSON object: the prompt Netmiko found and the outputs it read. Exit 0 on success.
"""
import json
import os
import sys

from netmiko import ConnectHandler


def main() -> int:
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    paging = sys.argv[5] if len(sys.argv) > 5 else None
    secret = os.environ.get("NETMIKO_SECRET")
    conn = ConnectHandler(
        device_type="cisco_ios",
        host=host,
        port=port,
        username=user,
        password=password,
        allow_agent=False,
        use_keys=False,
        timeout=20,
        **({"secret": secret} if secret else {}),
    )
    try:
        if paging:
            conn.disable_paging(command=paging)
        login_prompt = conn.find_prompt()
        if secret:
            conn.enable()
        result = {
            "login_prompt": login_prompt,
            "prompt": conn.find_prompt(),
            "version": conn.send_command("show version"),
            "bfd": conn.send_command("show sdwan bfd sessions"),
            "logging": conn.send_command("show logging | include RECVD_PKT_INV_SPI"),
        }
    finally:
        conn.disconnect()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
