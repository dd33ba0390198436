"""What every miniature shares: the Example record, small text helpers and common names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    fields: dict[str, str]  # task input column -> text
    target: str  # the answer, in the task's output format


def an(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


def cap(text: str) -> str:
    return text[0].upper() + text[1:]


def words(text: str) -> list[str]:
    """A word list written as one comma-separated string (easier to read and extend than quoted items)."""
    return [w.strip() for w in text.split(",") if w.strip()]


# Shared pools of names, places and firms, large on purpose: a miniature that draws its
# entities from a few dozen values teaches an adapter to recall them; drawn from hundreds,
# it has to read (and copy) the one in front of it.
FIRST_NAMES = words("""
Tom, Anna, Peter, Maria, John, Elena, David, Sara, Mark, Julia, Paul, Laura, Omar, Kate, Ben, Lily, Sam, Mia, Leo, Zoe,
Max, Emma, James, Olivia, Noah, Ava, Liam, Sophia, Lucas, Isabella, Ethan, Amelia, Mason, Harper, Logan, Ella, Henry,
Grace, Jack, Chloe, Daniel, Nora, Owen, Ruby, Adam, Alice, Victor, Clara, Hugo, Ines, Felix, Greta, Ivan, Olga, Dmitri,
Katya, Luca, Giulia, Marco, Chiara, Pierre, Camille, Jean, Amelie, Hans, Ingrid, Lars, Astrid, Sven, Freya, Pablo,
Lucia, Diego, Carmen, Mateo, Valentina, Joao, Beatriz, Rafael, Ana, Kenji, Yuki, Hiro, Aiko, Wei, Mei, Jun, Li, Raj,
Priya, Arjun, Ananya, Vikram, Deepa, Ahmed, Fatima, Yusuf, Aisha, Hassan, Leila, Kwame, Amara, Chidi, Ngozi, Tariq,
Zainab, Moshe, Rivka, Sean, Siobhan, Connor, Aoife, Nikos, Eleni, Jakub, Zofia, Tomas, Petra, Emil, Hanna, Oscar,
Elsa, Rosa, Carlos, Miguel, Sofia, Andrei, Irina, Kofi, Esi, Dev, Nadia, Samir, Yara, Ali, Noor, Ravi, Meera
""")
LAST_NAMES = words("""
Smith, Muller, Rossi, Jones, Dubois, Kowalski, Brown, Silva, Novak, Jensen, Garcia, Martinez, Lopez, Gonzalez, Perez,
Johnson, Williams, Miller, Davis, Wilson, Taylor, Anderson, Thomas, Moore, Martin, Jackson, White, Harris, Clark, Lewis,
Walker, Hall, Young, King, Wright, Scott, Green, Baker, Adams, Nelson, Carter, Mitchell, Roberts, Turner, Phillips,
Campbell, Parker, Evans, Edwards, Collins, Stewart, Morris, Murphy, Cook, Rogers, Morgan, Cooper, Peterson, Reed,
Bailey, Bell, Kelly, Howard, Ward, Cox, Richardson, Wood, Watson, Brooks, Bennett, Gray, Hughes, Price, Sanders,
Schmidt, Schneider, Fischer, Weber, Becker, Hoffmann, Wagner, Bauer, Richter, Klein, Wolf, Schulz, Bianchi, Romano,
Colombo, Ricci, Marino, Greco, Bruno, Gallo, Conti, Moreau, Laurent, Simon, Michel, Lefebvre, Leroy, Roux, Fournier,
Nowak, Wojcik, Kaminski, Lewandowski, Zielinski, Santos, Ferreira, Pereira, Oliveira, Costa, Almeida, Tanaka, Suzuki,
Sato, Takahashi, Watanabe, Ito, Nakamura, Kim, Lee, Park, Choi, Chen, Wang, Zhang, Liu, Yang, Huang, Patel, Sharma,
Singh, Kumar, Gupta, Khan, Ali, Hussain, Ahmed, Okafor, Mensah, Okoye, Diallo, Traore, Ivanov, Petrov, Sokolov, Popov,
Volkov, Horvat, Kovac, Nielsen, Hansen, Larsen, Andersson, Johansson, Karlsson, Lindberg, Virtanen, Korhonen,
O'Brien, Byrne, Walsh, McCarthy, Papadopoulos, Yilmaz, Kaya, Demir, Cohen, Levi, Haddad, Nasser
""")
COMPANIES = words("""
Apple, Google, Amazon, Tesla, Netflix, Uber, Spotify, Intel, Nvidia, Samsung, Oracle, Adobe, Nokia, Sony, IBM, Stripe,
Microsoft, Meta, Siemens, Philips, Bosch, Airbus, Boeing, Toyota, Honda, Ford, Volvo, Renault, Fiat, Nestle, Unilever,
Danone, Heineken, Carlsberg, Ikea, Lego, Zara, Adidas, Nike, Puma, Shell, BP, Total, Exxon, Chevron, Pfizer, Novartis,
Roche, Bayer, Sanofi, Barclays, HSBC, Santander, Citigroup, Visa, Mastercard, PayPal, Shopify, Zoom, Slack, Dropbox,
Airbnb, Lyft, Ericsson, Vodafone, Orange, Verizon, Walmart, Target, Costco, Tesco, Aldi, Lidl, Starbucks, McDonald's,
Disney, Warner, Paramount, Sega, Nintendo, Ubisoft, Valve, Canon, Nikon, Panasonic, Hitachi, Lenovo, Huawei, Xiaomi,
Alibaba, Tencent, Baidu, Infosys, Wipro, Tata, Reliance, Qualcomm, Cisco, Dell, HP, Salesforce, SAP, Atlassian,
Rolls-Royce, Maersk, FedEx, DHL, Ryanair, Lufthansa, Emirates
""")
CITIES = words("""
Berlin, Paris, London, Madrid, Rome, Lisbon, Vienna, Prague, Warsaw, Budapest, Athens, Dublin, Oslo, Stockholm,
Helsinki, Copenhagen, Amsterdam, Brussels, Zurich, Geneva, Lyon, Porto, Krakow, Munich, Hamburg, Milan, Naples, Turin,
Seville, Valencia, Barcelona, Marseille, Leeds, Manchester, Glasgow, Edinburgh, Cardiff, Belfast, Boston, Chicago,
Denver, Seattle, Houston, Dallas, Austin, Miami, Atlanta, Phoenix, Detroit, Toronto, Montreal, Vancouver, Ottawa,
Mexico City, Lima, Bogota, Santiago, Quito, Havana, Sydney, Melbourne, Perth, Auckland, Tokyo, Osaka, Kyoto, Seoul,
Busan, Beijing, Shanghai, Shenzhen, Mumbai, Delhi, Chennai, Karachi, Lahore, Dhaka, Jakarta, Manila, Hanoi, Bangkok,
Singapore, Cairo, Lagos, Nairobi, Accra, Casablanca, Tunis, Dakar, Johannesburg, Cape Town, Istanbul, Ankara, Tehran,
Baghdad, Dubai, Doha, Riyadh, Moscow, Kyiv, Minsk, Riga, Tallinn, Vilnius, Sofia, Bucharest, Belgrade, Zagreb
""")
COUNTRIES = words("""
Germany, France, Britain, Spain, Italy, Portugal, Austria, Poland, Hungary, Greece, Ireland, Norway, Sweden, Finland,
Denmark, the Netherlands, Belgium, Switzerland, Russia, Ukraine, Turkey, Egypt, Nigeria, Kenya, Ghana, Morocco,
South Africa, Ethiopia, Brazil, Argentina, Chile, Peru, Colombia, Mexico, Canada, the United States, Japan, China,
South Korea, India, Pakistan, Bangladesh, Indonesia, Vietnam, Thailand, the Philippines, Australia, New Zealand, Iran,
Iraq, Israel, Saudi Arabia, Qatar, Romania, Bulgaria, Serbia, Croatia, Czechia, Slovakia, Estonia, Latvia, Lithuania
""")
