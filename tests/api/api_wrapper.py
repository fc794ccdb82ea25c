"""The leveragers document's Python client, copied unchanged (shared/seeds/000_*.txt,
"api_wrapper.py — Full Source"). tempmail must serve it as it is: do not edit below."""
import requests
import json
from typing import Dict, List, Any


class MailAPIException(Exception):
    """Raised when the Leveragers API returns an error response."""
    def __init__(self, message: str, status_code: int = None, response_text: str = None):
        super().__init__(message)
        self.status_code = status_code
        self.response_text = response_text


class MailAPI:
    """
    Leveragers Mail Server API Client

    Focuses on two core operations:
      - generate_email()  →  create a temporary mailbox
      - get_inbox()       →  retrieve received messages

    Usage:
        api = MailAPI(api_key="your_key", base_url="https://leveragers.xyz")
        mail = api.generate_email(domain="leveragers.xyz")
        msgs = api.get_inbox(mail["email"])
    """

    def __init__(self, api_key: str, base_url: str = "https://leveragers.xyz"):
        """
        Args:
            api_key:  Your personal API key (Profile → API Credentials)
            base_url: Base URL of the Leveragers server (no trailing slash)
        """
        self.base_url = base_url.rstrip('/')
        self.api_key = api_key
        self.session = requests.Session()
        self.session.headers.update({
            'X-API-KEY': self.api_key,
            'Content-Type': 'application/json',
            'User-Agent': 'Leveragers-API-Client/2.0'
        })

    def _request(self, method: str, endpoint: str, **kwargs) -> Dict[str, Any]:
        """Internal helper — handles all HTTP calls and error parsing."""
        url = f"{self.base_url}{endpoint}"
        try:
            response = self.session.request(method, url, **kwargs)

            if response.status_code == 204:
                return {"success": True}

            try:
                data = response.json()
            except json.JSONDecodeError:
                raise MailAPIException(
                    "Invalid non-JSON response from server",
                    status_code=response.status_code,
                    response_text=response.text[:500]
                )

            if not response.ok:
                error_msg = data.get('error', data.get('message', f"HTTP {response.status_code}"))
                raise MailAPIException(
                    f"API Error: {error_msg}",
                    status_code=response.status_code,
                    response_text=response.text
                )

            return data

        except requests.RequestException as e:
            raise MailAPIException(f"Connection failed: {str(e)}")

    def generate_email(self, domain: str) -> Dict[str, Any]:
        """
        Generate a new temporary email address.

        Args:
            domain: Domain name to use (e.g. 'leveragers.xyz')

        Returns:
            {'email': str, 'id': int, 'balance': float}
        """
        return self._request('POST', '/api/mail/generate', json={'domain': domain})

    def get_inbox(self, email_address: str) -> List[Dict[str, Any]]:
        """
        Retrieve all messages for a specific email address.

        Args:
            email_address: The full email to check (e.g. 'xyz@leveragers.xyz')

        Returns:
            List of message dicts: from, subject, body, html, received_at
        """
        data = self._request('GET', f'/api/mail/inbox/{email_address}')
        return data.get('emails', [])
